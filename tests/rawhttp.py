"""HTTP at the socket level, for what an HTTP library will not send: bodies announced but
never sent, chunked bodies that stop when the server answers, half-sent requests, bytes
that are not UTF-8."""

from __future__ import annotations

import json
import select
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class RawAnswer:
    """A response read from a socket."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def connect(url: str, timeout: float = 30.0) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


def read_answer(sock: socket.socket) -> RawAnswer:
    """One response (``Content-Length`` framed, or until the server closes)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = headers.get("content-length")
    while length is None or len(body) < int(length):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return RawAnswer(int(lines[0].split(" ", 2)[1]), headers, body)


def request_head(method: str, target: bytes | str, headers: dict[str, str]) -> bytes:
    """The request line and headers (``target`` as raw bytes if it must not be encoded)."""
    raw_target = target if isinstance(target, bytes) else target.encode()
    lines = [method.encode() + b" " + raw_target + b" HTTP/1.1", b"Host: test"]
    lines += [f"{name}: {value}".encode() for name, value in headers.items()]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def send(url: str, method: str, target: bytes | str, headers: dict[str, str], body: bytes = b""):  # type: ignore[no-untyped-def]  # noqa: E501
    """One whole request; its answer."""
    with connect(url) as sock:
        sock.sendall(request_head(method, target, {**headers, "Connection": "close"}) + body)
        return read_answer(sock)


def stream_chunks(
    url: str, method: str, target: str, headers: dict[str, str], chunk: bytes, total: int
) -> tuple[RawAnswer, int]:
    """Send a chunked body of up to ``total`` bytes, ``chunk`` at a time, stopping as soon
    as the server answers (or stops reading); returns the answer and the bytes sent."""
    sent = 0
    with connect(url) as sock:
        sock.sendall(request_head(method, target, {**headers, "Transfer-Encoding": "chunked"}))
        framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        while sent < total:
            readable, writable, _ = select.select([sock], [sock], [], 30)
            if readable:
                break
            if not writable:
                raise TimeoutError("the server neither reads nor answers")
            try:
                sock.sendall(framed)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        else:
            sock.sendall(b"0\r\n\r\n")
        return read_answer(sock), sent
