"""Event Socket framing: bytes to frames and frames to bytes.

An ESL message is a header block ended by an empty line; when the block has
``Content-Length: N`` a body of exactly N bytes follows. A ``text/event-plain`` body is
itself a block of ``Name: url-encoded-value`` lines, optionally followed by
``Content-Length: M``, an empty line and M bytes of the event's own body (BACKGROUND_JOB,
API). The parser is incremental and never trusts its peer: oversized header blocks and
bodies are refused with :class:`FrameError`, malformed header lines are skipped and logged.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import unquote

log = logging.getLogger(__name__)

MAX_HEADER_BLOCK = 64 * 1024
"""Largest outer header block accepted (an outbound ``connect`` reply is ~6 KB)."""

MAX_BODY = 16 * 1024 * 1024
"""Largest body accepted; a plain event is ~6.5 KB, a large api reply some hundred KB."""

_URL_UNSAFE = frozenset(b'\r\n "#%&+:;<=>?@[\\]^`{|}')
_URL_UNSAFE_TEXT = re.compile("[^\x21-\x7e]|[" + re.escape('"#%&+:;<=>?@[\\]^`{|}') + "]")
_URL_ESCAPES = {
    code: f"%{code:02X}" for code in range(128) if code < 0x21 or code > 0x7E or code in _URL_UNSAFE
}


class FrameError(Exception):
    """The peer sent bytes that cannot be framed; the stream is out of sync."""


@dataclass
class Frame:
    """One ESL message: its outer headers (in wire order) and its raw body."""

    headers: dict[str, str]
    body: bytes = b""

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header (empty when absent)."""
        return self.headers.get("Content-Type", "")

    @property
    def reply_text(self) -> str:
        """``Reply-Text`` of a ``command/reply``, or the body text of an ``api/response``."""
        if "Reply-Text" in self.headers:
            return self.headers["Reply-Text"]
        return self.body.decode("utf-8", "replace")


@dataclass
class PlainEvent:
    """A decoded ``text/event-plain`` body: url-decoded headers and the event's own body.

    ``pairs`` keeps every header line in wire order (FreeSWITCH repeats some names, such
    as ``Hangup-Cause``); ``headers`` maps each name to its first value, as FreeSWITCH's
    own header lookup does.
    """

    pairs: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""
    headers: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.headers = dict(self.pairs)
        if len(self.headers) < len(self.pairs):  # a repeated name: keep its first value
            self.headers = {}
            for name, value in self.pairs:
                self.headers.setdefault(name, value)

    @property
    def name(self) -> str:
        """``Event-Name`` (``CUSTOM`` events keep their subclass in ``Event-Subclass``)."""
        return self.headers.get("Event-Name", "")


_JOIN = "\x00"
"""Joins a block's values so that one ``unquote`` call decodes them all: a NUL, which no
decoded value holds unless the block carries one (raw, or as ``%00``)."""


def _parse_header_lines(block: bytes, *, decode_values: bool) -> list[tuple[str, str]]:
    # One decode for the whole block (a line feed is never inside a UTF-8 sequence, so
    # this is the same as decoding line by line).
    names: list[str] = []
    values: list[str] = []
    for line in block.decode("utf-8", "replace").split("\n"):
        if not line:
            continue
        name, sep, value = line.partition(": ")
        if not sep or not name:
            log.warning("skipping malformed ESL header line: %.200r", line)
            continue
        names.append(name)
        values.append(value)
    if decode_values and values:
        if b"\x00" in block or b"%00" in block:  # a value may decode to the joint
            values = [unquote(v) for v in values]
        else:  # one unquote for every value: half the cost of ~30 calls for a real event
            values = unquote(_JOIN.join(values)).split(_JOIN)
    return list(zip(names, values, strict=True))


class FrameReader:
    """Incremental parser: feed it bytes as they arrive, take complete frames out."""

    def __init__(self, max_header_block: int = MAX_HEADER_BLOCK, max_body: int = MAX_BODY):
        self._buffer = bytearray()
        self._pending: dict[str, str] | None = None
        self._body_length = 0
        self.max_header_block = max_header_block
        self.max_body = max_body

    @property
    def buffered(self) -> int:
        """Bytes received and not yet returned as frames."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Frame]:
        """Add received bytes; return every frame they complete (possibly none)."""
        self._buffer += data
        return list(self._frames())

    def _frames(self) -> Iterator[Frame]:
        while True:
            if self._pending is None:
                end = self._buffer.find(b"\n\n")
                if end < 0:
                    if len(self._buffer) > self.max_header_block:
                        raise FrameError(
                            f"header block over {self.max_header_block} bytes without an end"
                        )
                    return
                if end > self.max_header_block:
                    raise FrameError(f"header block of {end} bytes refused")
                block = bytes(self._buffer[:end])
                del self._buffer[: end + 2]
                headers = dict(_parse_header_lines(block, decode_values=False))
                if not headers:
                    continue  # stray empty lines between frames
                length = headers.get("Content-Length", "0")
                if not length.isdigit():
                    raise FrameError(f"bad Content-Length {length!r}")
                if int(length) > self.max_body:
                    raise FrameError(f"body of {length} bytes refused")
                self._pending, self._body_length = headers, int(length)
            if len(self._buffer) < self._body_length:
                return
            body = bytes(self._buffer[: self._body_length])
            del self._buffer[: self._body_length]
            headers, self._pending = self._pending, None
            yield Frame(headers, body)


def parse_event_plain(body: bytes) -> PlainEvent:
    """Decode a ``text/event-plain`` body, including an event body after its own length."""
    end = body.find(b"\n\n")
    block, rest = (body, b"") if end < 0 else (body[:end], body[end + 2 :])
    pairs = _parse_header_lines(block, decode_values=True)
    inner = ""
    if pairs and pairs[-1][0] == "Content-Length":
        length = pairs.pop()[1]
        if length.isdigit():
            inner = rest[: int(length)].decode("utf-8", "replace")
        else:
            log.warning("event has a bad inner Content-Length %r", length)
    return PlainEvent(pairs, inner)


def url_encode(value: str) -> str:
    """Encode a header value the way FreeSWITCH does in plain events.

    Bytes outside printable ASCII, the space and ``"#%&+:;<=>?@[\\]^`{|}`` become ``%XX``
    (upper-case hex of each UTF-8 byte); everything else is kept. Most values need no
    escaping and are returned as they are.
    """
    if _URL_UNSAFE_TEXT.search(value) is None:
        return value
    if value.isascii():
        return value.translate(_URL_ESCAPES)
    out = []
    for byte in value.encode("utf-8"):
        if byte < 0x21 or byte > 0x7E or byte in _URL_UNSAFE:
            out.append(f"%{byte:02X}")
        else:
            out.append(chr(byte))
    return "".join(out)


def encode_frame(headers: Iterable[tuple[str, str]], body: bytes = b"") -> bytes:
    """Serialize one frame; headers are written in the order given, values verbatim.

    Callers put ``Content-Length`` where the wire format wants it (first for events,
    second for replies); a header value containing a line break is refused.
    """
    lines = []
    for name, value in headers:
        if "\n" in name or "\n" in value or "\r" in name or "\r" in value:
            raise ValueError(f"line break in ESL header {name!r}")
        lines.append(f"{name}: {value}\n")
    return "".join(lines).encode("utf-8") + b"\n" + body


def encode_event_plain(headers: Iterable[tuple[str, str]], body: str | None = None) -> bytes:
    """Serialize a plain event body: url-encoded header lines, then its own body if any."""
    text = "".join(f"{name}: {url_encode(value)}\n" for name, value in headers)
    if body is None:
        return (text + "\n").encode("utf-8")
    raw = body.encode("utf-8")
    return (text + f"Content-Length: {len(raw)}\n\n").encode("utf-8") + raw


def encode_event_json(headers: Iterable[tuple[str, str]], body: str | None = None) -> bytes:
    """Serialize a ``text/event-json`` body as FreeSWITCH does: one compact JSON object of
    strings, the event's own body (if any) under ``_body`` after its ``Content-Length``.

    A header repeated in ``headers`` is written each time, as FreeSWITCH does (``json.loads``
    then keeps the last one). An array header (``ARRAY::a|:b``, as plain events carry it)
    is a JSON array of strings.
    """
    dump = _json_string
    members = [f"{dump(name)}:{_json_value(value)}" for name, value in headers]
    if body is not None:
        members.append(f'"Content-Length":"{len(body.encode("utf-8"))}"')
        members.append(f'"_body":{dump(body)}')
    return ("{" + ",".join(members) + "}").encode("utf-8")


_json_string = json.JSONEncoder(ensure_ascii=False).encode
_json_array = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
ARRAY_PREFIX = "ARRAY::"


def _json_value(value: str) -> str:
    if value.startswith(ARRAY_PREFIX):
        return _json_array(value[len(ARRAY_PREFIX) :].split("|:"))
    return _json_string(value)
