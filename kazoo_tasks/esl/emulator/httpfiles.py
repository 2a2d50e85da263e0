"""Files on HTTP, as FreeSWITCH's ``mod_http_cache`` reads and writes them.

* playback of ``http_cache://<url>`` (or ``http://`` / ``https://``, which
  ``mod_http_cache`` serves when its file formats are enabled): the file is downloaded
  (GET) before it plays; a download that fails (404, 403, no server) is a file that
  cannot be opened, which FreeSWITCH's ``playback`` reports as ``FILE NOT FOUND``
  without any PLAYBACK_START. A WAV plays for its own length; anything else for the
  catalog's default file length.
* ``record`` / ``record_session`` to such a target: the recording is written locally and
  uploaded with ``PUT`` when it ends (``Content-Type`` from the extension, as
  ``mod_http_cache``'s ``http_put``); a refused upload is logged and lost, as on the
  real switch.

Downloads and uploads run in a thread, never on the emulator's loop.
"""

from __future__ import annotations

import asyncio
import io
import logging
import urllib.error
import urllib.request
import wave
from typing import TYPE_CHECKING

from kazoo_tasks.esl.emulator.media import MediaNotFound

if TYPE_CHECKING:
    from kazoo_tasks.esl.emulator.switch import Switch

log = logging.getLogger(__name__)

SAMPLE_RATE = 8000
MAX_UPLOAD_SECONDS = 600.0
"""Longest emulated recording actually generated (longer ones are cut, as apps.py does)."""
USER_AGENT = "freeswitch-http-cache/1.0"
MIME_TYPES = {"wav": "audio/x-wav", "mp3": "audio/mpeg", "ogg": "audio/ogg"}
_TIMEOUT = 10.0


def is_remote(target: str) -> bool:
    """Whether ``target`` is a file on HTTP."""
    return target.strip().lower().startswith(("http_cache://", "http://", "https://"))


def url_of(target: str) -> str:
    """The URL of a remote target (without ``http_cache://``)."""
    target = target.strip()
    return target[len("http_cache://") :] if target.lower().startswith("http_cache://") else target


def _download(url: str) -> bytes | None:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as answer:  # noqa: S310
            return answer.read()
    except (OSError, urllib.error.URLError) as error:
        log.info("emulated http_cache: GET %s failed: %s", url, error)
        return None


def wav_seconds(data: bytes) -> float | None:
    """The length of a WAV file (None when ``data`` is no WAV)."""
    try:
        with wave.open(io.BytesIO(data)) as audio:
            return audio.getnframes() / float(audio.getframerate() or SAMPLE_RATE)
    except (wave.Error, EOFError):
        return None


async def playback_seconds(switch: Switch, target: str) -> float | None:
    """How long ``target`` plays; downloads remote files first (``MediaNotFound`` when
    the download fails)."""
    if not is_remote(target):
        return switch.config.media.playback_seconds(target)
    url = url_of(target)
    data = await asyncio.to_thread(_download, url)
    if data is None:
        raise MediaNotFound(url)
    seconds = wav_seconds(data)
    return seconds if seconds is not None else switch.config.media.default_file_seconds


def silence_wav(seconds: float) -> bytes:
    """An 8 kHz 16-bit mono WAV of ``seconds`` of silence (what emulated callers say)."""
    samples = int(min(seconds, MAX_UPLOAD_SECONDS) * SAMPLE_RATE)
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(SAMPLE_RATE)
        audio.writeframes(b"\x00\x00" * samples)
    return out.getvalue()


def _upload(url: str, data: bytes) -> int:
    extension = url.split("?", 1)[0].rsplit(".", 1)[-1].lower()
    headers = {
        "User-Agent": USER_AGENT,
        "Content-Type": MIME_TYPES.get(extension, "application/octet-stream"),
    }
    request = urllib.request.Request(url, data=data, headers=headers, method="PUT")
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as answer:  # noqa: S310
            status = int(answer.status)
    except urllib.error.HTTPError as error:
        status = int(error.code)
    except (OSError, urllib.error.URLError) as error:
        log.warning("emulated http_cache: PUT %s failed: %s", url, error)
        return 0
    if status not in (200, 201, 202, 204):
        log.warning("emulated http_cache: PUT %s answered %s: recording lost", url, status)
    return status


async def upload_recording(target: str, seconds: float) -> int:
    """Upload the recording of ``seconds`` to ``target``; returns the file's size."""
    data = silence_wav(seconds)
    await asyncio.to_thread(_upload, url_of(target), data)
    return len(data)


def upload_later(switch: Switch, target: str, seconds: float) -> int:
    """Start uploading a recording from synchronous code; returns the file's size."""
    size = 44 + int(min(seconds, MAX_UPLOAD_SECONDS) * SAMPLE_RATE) * 2
    switch.loop.create_task(upload_recording(target, seconds))
    return size
