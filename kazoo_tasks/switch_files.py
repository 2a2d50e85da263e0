"""Signed, expiring URLs for the files FreeSWITCH reads (media it plays) and writes
(recordings it uploads), served by the API's ``/switch/files/...`` route.

A URL names one attachment of one document and the HTTP method it allows:

    <switch_url>/files/<account_id>/<doc_id>/<attachment>/<version>.<ext>?expires=<epoch>&sig=<hex>

``sig`` is an HMAC-SHA256 (key: ``KAZOO_SWITCH_SECRET``) of the method, the path after the
base URL and the expiry, so a URL cannot be pointed at another document, used after it
expires, or turned from a download into an upload. The query carries no ``.`` and the
path ends in the file's extension: FreeSWITCH's ``mod_http_cache`` takes the format of
the file it caches or records from the last ``.`` of the URL (ignoring the query).

Workers build URLs (:mod:`callflow.media`), the API verifies them: both sides only need
the settings.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import time
from dataclasses import dataclass
from urllib.parse import quote

from kazoo_tasks.config import Settings
from kazoo_tasks.stored_secrets import stored_secret

SECRET_FILE = "switch_secret"
PREFIX = "/switch"
"""Where the API mounts the routes FreeSWITCH calls."""

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
"""Document ids, attachment names and versions that may appear in a URL."""
EXTENSION = re.compile(r"^[a-z0-9]{1,8}$")

EXTENSIONS = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/mpeg3": "mp3",
    "audio/ogg": "ogg",
}
"""File extension of each audio content type FreeSWITCH plays."""
CONTENT_TYPES = {"wav": "audio/x-wav", "mp3": "audio/mpeg", "ogg": "audio/ogg"}
"""Content type stored for a recording uploaded with each extension."""


def switch_secret(settings: Settings) -> str:
    """The key of the URL signatures (``KAZOO_SWITCH_SECRET`` or a generated one)."""
    return stored_secret(settings, SECRET_FILE, settings.switch_secret)


def base_url(settings: Settings) -> str:
    """The URL at which FreeSWITCH reaches ``/switch`` (``KAZOO_SWITCH_URL``)."""
    if settings.switch_url:
        return settings.switch_url.rstrip("/")
    return f"http://{settings.api_host}:{settings.api_port}{PREFIX}"


def signature(secret: str, method: str, path: str, expires: int) -> str:
    """HMAC-SHA256 (hex) of one method, path and expiry."""
    message = f"{method.upper()}\n{path}\n{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class FileRef:
    """What a files URL names."""

    account_id: str
    doc_id: str
    attachment: str
    version: str
    extension: str

    def path(self) -> str:
        """The URL path after the base (``files/<account>/<doc>/<attachment>/<v>.<ext>``)."""
        for value in (self.account_id, self.doc_id, self.attachment, self.version):
            if not NAME.match(value):
                raise ValueError(f"not a safe URL part: {value!r}")
        if not EXTENSION.match(self.extension):
            raise ValueError(f"not a file extension: {self.extension!r}")
        parts = (self.account_id, self.doc_id, self.attachment, f"{self.version}.{self.extension}")
        return "files/" + "/".join(quote(part, safe="") for part in parts)


def rounded_expiry(ttl: int, now: float | None = None) -> int:
    """An expiry at least ``ttl`` and less than ``2 * ttl`` seconds away, the same for
    every URL signed within one ``ttl`` window: the switch's HTTP cache then sees the same
    URL for the same file instead of a new one per call."""
    now = time.time() if now is None else now
    return int((math.floor(now / ttl) + 2) * ttl)


def signed_url(settings: Settings, method: str, ref: FileRef, expires: int) -> str:
    """The full URL allowing ``method`` on ``ref`` until ``expires`` (epoch seconds)."""
    path = ref.path()
    sig = signature(switch_secret(settings), method, path, expires)
    return f"{base_url(settings)}/{path}?expires={expires}&sig={sig}"


def check_signature(
    secret: str, method: str, path: str, expires: str, sig: str, now: float | None = None
) -> str | None:
    """Why a request for ``path`` may not proceed (``expired``, ``bad signature``), or
    None when its signature is valid and current."""
    if not expires.isdigit():
        return "bad signature"
    expected = signature(secret, method, path, int(expires))
    if not hmac.compare_digest(expected, sig):
        return "bad signature"
    if int(expires) < (time.time() if now is None else now):
        return "expired"
    return None
