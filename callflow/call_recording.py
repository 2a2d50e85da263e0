"""Call recordings (Kazoo's ``call_recording`` documents, crossbar ``recordings``): what
``record_call`` writes, and the task that settles a recording once its call has ended.

A recording is a ``call_recording`` document of the account, written pending
(:mod:`callflow.recorded`) when the recording starts, with the call's facts; the switch
uploads the audio to it as the attachment named ``name`` (``<id>.mp3``). It is kept,
with its ``duration_ms``, when the recording stops (``record_call`` with ``action:
stop``) or, at the latest, when the call ends; it is discarded when it lasts less than
``record_min_sec``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any

from celery import Task

from callflow import recorded
from kazoo_tasks import services
from kazoo_tasks.clock import to_gregorian
from kazoo_tasks.docstore import DocumentStore, account_db
from kazoo_tasks.docstore.private_fields import private_fields
from kazoo_tasks.durable_task import store_writing_task
from kazoo_tasks.switch_files import CONTENT_TYPES

log = logging.getLogger(__name__)

RECORDING_TYPE = "call_recording"
FINISH_TASK = "kazoo.housekeeping.finish_call_recording"
KVS_KEY = "call_recordings"
"""Where a call keeps its recordings (``[{"id", "target", "min_ms"...}]``) in its kvs."""

Document = dict[str, Any]


def recording_id(call_id: str, where: str) -> str:
    """The id of the recording a node starts (the same on every run of the node)."""
    return hashlib.sha256(f"recording\n{call_id}\n{where}".encode()).hexdigest()[:32]


def new_recording(
    account_id: str,
    doc_id: str,
    call: Mapping[str, Any],
    *,
    name: str,
    extension: str,
    origin: str,
    now: float,
) -> Document:
    """A ``call_recording`` document (not stored) of the call ``call`` (its record)."""
    when = to_gregorian(now)
    return {
        "_id": doc_id,
        **private_fields(RECORDING_TYPE, account_id, when),
        "name": name,
        "description": "call recording",
        "origin": origin,
        "source_type": "callflow",
        "media_source": "recorded",
        "media_type": extension,
        "content_type": CONTENT_TYPES[extension],
        "call_id": call["call_id"],
        "caller_id_name": call.get("caller_id_name", ""),
        "caller_id_number": call.get("caller_id_number", ""),
        "callee_id_name": call.get("callee_id_name", ""),
        "callee_id_number": call.get("callee_id_number", ""),
        "from": call.get("from", ""),
        "to": call.get("to", ""),
        "request": call.get("request", ""),
        "direction": call.get("direction", "inbound"),
        "custom_channel_vars": dict(call.get("ccvs") or {}),
        "start": when,
    }


def settle(
    store: DocumentStore, account_id: str, doc_id: str, duration_ms: int, min_ms: int, now: float
) -> bool:
    """Keep the recording with its duration, or discard it when shorter than ``min_ms``
    (or empty: it never started); returns whether it was kept. A recording settled
    already stays as it is."""
    db = account_db(account_id)
    if duration_ms <= 0 or duration_ms < min_ms:
        recorded.discard(store, db, doc_id, "too_short", now)
        return False
    fields = {"duration_ms": duration_ms, "duration": duration_ms // 1000}
    recorded.keep(store, db, doc_id, fields, now)
    return True


def duration_at_end(entry: Mapping[str, Any], ended: Mapping[str, Any]) -> int:
    """How long a recording the call's end stopped lasted (ms): the switch's
    ``record_ms`` at hangup, else the time from its start (or the answer) to the hangup,
    at most its time limit."""
    switch_ms = (ended.get("variables") or {}).get("record_ms")
    if switch_ms and str(switch_ms).isdigit():
        return int(switch_ms)
    started = entry.get("started_at") or 0.0
    if entry.get("on_answer"):
        started = ended.get("answered_at") or ended["hungup_at"]
    seconds = min(max(ended["hungup_at"] - started, 0.0), entry["time_limit"])
    return int(seconds * 1000)


@store_writing_task(FINISH_TASK)
def finish_call_recording(
    self: Task, account_id: str, entry: dict[str, Any], ended: dict[str, Any]
) -> bool:
    """Settle a recording still pending when its call ended (retried while the document
    store is down); returns whether it was kept."""
    store = services.process_document_store(self.app.kazoo_settings)  # type: ignore[attr-defined]
    kept = settle(
        store,
        account_id,
        entry["id"],
        duration_at_end(entry, ended),
        entry["min_ms"],
        ended["hungup_at"],
    )
    log.info("call recording %s %s at the call's end", entry["id"], "kept" if kept else "dropped")
    return kept
