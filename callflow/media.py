"""What the switch plays for a media reference, and where it records to.

Kazoo documents a ``play`` / greeting / prompt ``id`` as "media ID or URL", so
:func:`playable` takes either:

* the id of a media document of the account (its audio is the attachment ``audio``,
  uploaded with ``POST /v2/accounts/{id}/media/{media_id}/raw``) becomes a signed,
  short-lived URL of the API's ``/switch/files`` route behind ``http_cache://``, which
  FreeSWITCH's ``mod_http_cache`` downloads and caches (the URL changes when the
  document does, so an edited greeting is fetched again);
* an ``http://`` / ``https://`` URL is played through ``http_cache://`` as it is;
* what FreeSWITCH plays by itself (``tone_stream://``, ``silence_stream://``,
  ``local_stream://``, ``http_cache://``, ``say:``, ``phrase:``, an absolute path on the
  switch, or a sound of the switch's own set, a relative path such as
  ``ivr/ivr-that_was_an_invalid_entry.wav`` that it finds under its ``sound_prefix``:
  callflow.prompts) passes through unchanged.

:func:`recording_target` is the other way: the ``http_cache://`` URL a ``record`` writes
to, which uploads the file (signed PUT) to the API when the recording ends; the API keeps
it on disk and stores it as the named attachment of the named document, retrying while
the document store is down (docs/operations.md "Recordings").

Nothing that reaches the switch here carries a control character or whitespace.
"""

from __future__ import annotations

import re
import time
from typing import Any

from kazoo_tasks.cache import Cache, origins
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore, NotFound, account_db
from kazoo_tasks.switch_files import EXTENSIONS, FileRef, rounded_expiry, signed_url

AUDIO_ATTACHMENT = "audio"
"""The attachment holding a media document's audio (api/media)."""
MEDIA_TYPE = "media"
HTTP_CACHE = "http_cache://"
PASSTHROUGH = (
    "tone_stream://",
    "silence_stream://",
    "local_stream://",
    HTTP_CACHE,
    "say:",
    "phrase:",
)
RECORDING_GRACE = 300
"""Seconds a recording's upload URL outlives the longest recording it may take."""

_UNSAFE = re.compile(r"[\x00-\x20\x7f]")
_DOC_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_SOUND = re.compile(r"^[a-z0-9_-]+(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]*)+\.(?:wav|mp3)$")
"""A sound file of the switch's set, relative to its ``sound_prefix`` (no ``..``)."""


class MediaNotFound(LookupError):
    """The reference names no media document of the account with audio."""


def playable(
    settings: Settings,
    store: DocumentStore,
    account_id: str,
    media: str,
    *,
    cache: Cache | None = None,
    now: float | None = None,
) -> str:
    """What ``playback`` is given for ``media`` (a media id or URL) of ``account_id``.

    Raises :class:`MediaNotFound` for an id that names no media with audio, and
    ``ValueError`` for a reference that could not be given to the switch safely.
    """
    reference = media.strip()
    if not reference or _UNSAFE.search(reference):
        raise ValueError(f"unplayable media reference {media!r}")
    lowered = reference.lower()
    if lowered.startswith(("http://", "https://")):
        return HTTP_CACHE + reference
    if lowered.startswith(PASSTHROUGH) or reference.startswith("/") or _SOUND.match(reference):
        return reference
    if not _DOC_ID.match(reference):
        raise MediaNotFound(reference)
    doc = _media_document(store, account_id, reference, cache)
    stub = (doc.get("_attachments") or {}).get(AUDIO_ATTACHMENT) if doc else None
    if doc is None or not stub:
        raise MediaNotFound(reference)
    content_type = str(stub.get("content_type", "")).split(";")[0].strip().lower()
    ref = FileRef(
        account_id, reference, AUDIO_ATTACHMENT, doc["_rev"], EXTENSIONS.get(content_type, "wav")
    )
    expires = rounded_expiry(settings.switch_media_url_ttl, now)
    return HTTP_CACHE + signed_url(settings, "GET", ref, expires)


def _media_document(
    store: DocumentStore, account_id: str, media_id: str, cache: Cache | None
) -> dict[str, Any] | None:
    db = account_db(account_id)

    def build() -> dict[str, Any] | None:
        try:
            doc = store.get(db, media_id)
        except NotFound:
            return None
        return doc if doc.get("pvt_type") == MEDIA_TYPE else None

    if cache is None:
        return build()
    return cache.get_or_build(("media", db, media_id), build, origins=[origins.doc(db, media_id)])


def recording_target(
    settings: Settings,
    account_id: str,
    doc_id: str,
    *,
    attachment: str = AUDIO_ATTACHMENT,
    extension: str = "wav",
    max_seconds: int = 3600,
    now: float | None = None,
) -> str:
    """The path a ``record`` / ``record_session`` writes to so that the recording becomes
    attachment ``attachment`` of document ``doc_id`` (which must exist by the time it is
    uploaded, or within an hour of it). ``max_seconds`` bounds the recording: the upload
    URL expires that long (plus a grace) from now."""
    expires = int((time.time() if now is None else now) + max_seconds + RECORDING_GRACE)
    ref = FileRef(account_id, doc_id, attachment, "recording", extension)
    return HTTP_CACHE + signed_url(settings, "PUT", ref, expires)
