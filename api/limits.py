"""What one request may carry: body size per route, JSON nesting, query parameters, and
UTF-8 in the URL. Hostile or oversized input gets a 400 or a 413, never a 500.

Body sizes are enforced by the server (:mod:`api.server`) from ``Content-Length`` and, for
chunked bodies, while they stream in, before anything is buffered: :class:`BodyLimits`
says which limit applies to a request line. The rest is checked by :func:`check_request`
before a handler runs, and by :func:`parse_json` when a handler reads its body.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from api.errors import InvalidRequest, ValidationFailed, field_error
from api.switch.spool import MAX_RECORDING_BYTES
from kazoo_tasks.config import Settings
from kazoo_tasks.switch_files import PREFIX

MAX_JSON_DEPTH = 200
"""Deepest JSON body accepted (arrays and objects). A callflow at its deepest
(``callflow.flow_tree.MAX_FLOW_DEPTH`` nodes, two levels each) fits well within it."""
MAX_QUERY_PARAMS = 100
"""Most query-string parameters one request may carry (filters included)."""

_MEDIA_UPLOAD = re.compile(r"^/v2/accounts/[^/]+/media/[^/]+/raw/?$")
_RECORDING_UPLOAD = re.compile(rf"^{re.escape(PREFIX)}/files/")


@dataclass(frozen=True)
class BodyLimits:
    """The largest body of each kind of request, in bytes."""

    body_bytes: int
    media_bytes: int
    recording_bytes: int = MAX_RECORDING_BYTES

    @classmethod
    def from_settings(cls, settings: Settings) -> BodyLimits:
        return cls(settings.api_max_body_bytes, settings.media_max_bytes)

    def for_request(self, method: str, path: str) -> int:
        """The limit for a request line: media uploads get theirs, recordings the switch
        uploads (``PUT /switch/files/...``, spooled to disk as they stream) theirs,
        anything else the JSON body limit."""
        if method.upper() == "POST" and _MEDIA_UPLOAD.match(path):
            return self.media_bytes
        if method.upper() == "PUT" and _RECORDING_UPLOAD.match(path):
            return self.recording_bytes
        return self.body_bytes

    @property
    def largest(self) -> int:
        return max(self.body_bytes, self.media_bytes, self.recording_bytes)


def _too_deep() -> ValidationFailed:
    return field_error(
        "data",
        "maxDepth",
        f"JSON nested deeper than {MAX_JSON_DEPTH} levels",
        target=MAX_JSON_DEPTH,
    )


def nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` (decoded JSON) nests arrays/objects more than ``limit`` deep
    (iterative: no recursion however deep it goes)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict):
            children = current.values()
        elif isinstance(current, list):
            children = current
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def parse_json(raw: bytes) -> Any:
    """Decode a JSON body: 400 when it is not JSON, not UTF-8, or nested too deep."""
    try:
        body = json.loads(raw)
    except RecursionError:  # the decoder's own guard: far deeper than MAX_JSON_DEPTH
        raise _too_deep() from None
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest({"message": "request body is not valid JSON"}) from None
    if nested_deeper_than(body, MAX_JSON_DEPTH):
        raise _too_deep()
    return body


def check_request(path_info: str, query_string: str) -> None:
    """400 when the URL is not UTF-8 or carries too many query parameters (before the
    query string is parsed). ``path_info`` is WSGI's (bytes as latin-1)."""
    try:
        path_info.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise InvalidRequest({"message": "the URL path is not valid UTF-8"}) from None
    if not query_string:
        return
    if query_string.count("&") + 1 > MAX_QUERY_PARAMS:
        raise field_error(
            "query_string",
            "maxItems",
            f"at most {MAX_QUERY_PARAMS} query parameters",
            target=MAX_QUERY_PARAMS,
        )
    try:
        unquote_to_bytes(query_string.encode("latin-1")).decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise InvalidRequest({"message": "the query string is not valid UTF-8"}) from None
