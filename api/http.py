"""HTTP plumbing shared by every resource: Kazoo's envelope, request ids, request bodies,
revisions (``If-Match`` / ``rev``) and one error handler that answers every failure
(ours, Werkzeug's, Flask-Limiter's, an unreachable Redis, broker or store: 503, a crash:
500)
with Kazoo's error envelope."""

from __future__ import annotations

import importlib.metadata
import json
import logging
import re
import time
import uuid
from typing import Any

from flask import Response, g, request
from flask_restx import Api
from werkzeug.exceptions import HTTPException

from api.broker import BrokerUnavailable
from api.errors import ApiError, InvalidRequest
from api.limits import check_request, parse_json
from kazoo_tasks.docstore import Unavailable
from kazoo_tasks.services import REDIS_UNAVAILABLE

log = logging.getLogger(__name__)

KAZOO_VERSION = "5.0.0"
"""The Kazoo whose Crossbar API this one matches (2600hz/kazoo master, VERSION 5.0: its
schemas and documentation are the reference), shown as ``version`` in every envelope."""
OWN_VERSION = importlib.metadata.version("kazoo-tasks")
"""kazoo-tasks' own version (its package's), shown beside it as ``kazoo_tasks_version``."""
UNREACHABLE = (*REDIS_UNAVAILABLE, Unavailable, BrokerUnavailable)
"""Failures of a back end, not of the request: 503, the client retries."""
_REQUEST_ID = re.compile(r"^[\w.-]{1,64}$")


def request_id() -> str:
    """This request's id: the client's ``X-Request-ID`` when sane, else a new one."""
    if "request_id" not in g:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
    return g.request_id


def base_envelope(request_id: str, auth_token: str = "") -> dict[str, Any]:
    """The fields every answer carries (no Flask needed: the server's own 413 uses it)."""
    return {
        "request_id": request_id,
        "auth_token": auth_token,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "version": KAZOO_VERSION,
        "kazoo_tasks_version": OWN_VERSION,
        "node": "kazoo-tasks",
    }


def error_envelope(
    code: int, message: str, data: Any, request_id: str, auth_token: str = ""
) -> dict[str, Any]:
    """Kazoo's error envelope."""
    return {
        **base_envelope(request_id, auth_token),
        "status": "error",
        "error": str(code),
        "message": message,
        "data": data,
    }


def _base_envelope() -> dict[str, Any]:
    return base_envelope(request_id(), g.get("auth_token", ""))


def _json_response(body: dict[str, Any], code: int, headers: dict[str, str]) -> Response:
    response = Response(json.dumps(body), status=code, mimetype="application/json")
    response.headers["X-Request-ID"] = request_id()
    for name, value in headers.items():
        response.headers[name] = value
    return response


def ok(
    data: Any,
    *,
    code: int = 200,
    revision: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """A success answer in Kazoo's envelope; ``revision`` also becomes the ETag."""
    body = {**_base_envelope(), "status": "success", "data": data}
    headers: dict[str, str] = {}
    if revision is not None:
        body["revision"] = revision
        headers["ETag"] = f'"{revision}"'
    else:
        body["revision"] = "undefined"
    body.update(extra or {})
    return _json_response(body, code, headers)


def error_response(error: BaseException) -> Response:
    """Kazoo's error envelope for any exception."""
    headers: dict[str, str] = {}
    if isinstance(error, ApiError):
        code, message, data = error.code, error.message, error.data
    elif isinstance(error, HTTPException):
        code = error.code or 500
        message = _snake(error.name)
        data = {"message": error.description or error.name}
        retry_after = getattr(error, "retry_after", None)
        if code == 429:
            message = "too_many_requests"
            if retry_after:
                headers["Retry-After"] = str(int(retry_after))
        if code == 405 and error.valid_methods:  # type: ignore[attr-defined]
            headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    elif isinstance(error, UNREACHABLE):
        log.warning("a back end is unreachable (%s %s): %s", request.method, request.path, error)
        code, message = 503, "service_unavailable"
        data = {
            "message": "a back end (Redis, the broker or the document store) is unreachable; retry"
        }
        headers["Retry-After"] = "1"
    else:
        log.exception("unhandled error on %s %s", request.method, request.path)
        code, message, data = 500, "internal_error", {"message": "internal error"}
    body = error_envelope(code, message, data, request_id(), g.get("auth_token", ""))
    return _json_response(body, code, headers)


def _snake(name: str) -> str:
    return re.sub(r"\W+", "_", name.strip().lower())


class KazooApi(Api):
    """flask-restx ``Api`` whose every error answer is Kazoo's error envelope."""

    def handle_error(self, e: Exception) -> Response:  # noqa: D102 - restx hook
        return error_response(e)


def request_data() -> Any:
    """The ``data`` of a Kazoo request body ``{"data": {...}}`` (``{}`` when no body)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise InvalidRequest({"message": 'request body must be an object {"data": {...}}'})
    return body.get("data", {})


def check_url() -> None:
    """``before_request`` hook: refuse URLs that are not UTF-8 or carry too many query
    parameters (:func:`api.limits.check_request`)."""
    check_request(request.environ.get("PATH_INFO", ""), request.environ.get("QUERY_STRING", ""))


def expected_revision() -> str | None:
    """The revision the client says it edits: ``If-Match`` header or ``rev`` argument."""
    header = request.headers.get("If-Match", "").strip()
    if header and header != "*":
        return header.removeprefix("W/").strip('"')
    return request.args.get("rev") or None
