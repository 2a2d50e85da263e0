"""Per-call stats in the account's database: one ``acdc_call_stat`` document per caller
and queue (Kazoo's acdc_call_stats), from the records :meth:`acdc.queue.Queues.leave`
queues in Redis. Saving is idempotent (the id is the call's and the queue's), so a
worker that dies half-way leaves nothing twice."""

from __future__ import annotations

from typing import Any

from acdc.queue import Queues
from kazoo_tasks.clock import to_gregorian
from kazoo_tasks.docstore import Conflict, DocumentStore, account_db

TIMES = {"entered_at": "entered_timestamp", "handled_at": "handled_timestamp",
         "left_at": "processed_timestamp"}  # fmt: skip
"""Our Unix times -> Kazoo's gregorian-second fields."""


def stat_document(account_id: str, stat: dict[str, Any]) -> dict[str, Any]:
    """The document of one caller's record."""
    doc: dict[str, Any] = {
        "_id": f"acdc-{stat['queue_id']}-{stat['call_id']}",
        "pvt_type": "acdc_call_stat",
        "pvt_account_id": account_id,
        "pvt_account_db": account_db(account_id),
        "pvt_created": to_gregorian(stat["left_at"]),
        "pvt_modified": to_gregorian(stat["left_at"]),
        "pvt_vsn": "1",
    }
    for key, value in stat.items():
        if key in TIMES:
            doc[TIMES[key]] = to_gregorian(value)
        elif key in ("wait_time", "talk_time"):
            doc[key] = round(value)
        else:
            doc[key] = value
    return doc


def archive(queues: Queues, store: DocumentStore) -> int:
    """Store the account's pending call stats; returns how many were stored."""
    pending = queues.pending_call_stats()
    db = account_db(queues.account_id)
    for stat in pending:
        try:
            store.save(db, stat_document(queues.account_id, stat))
        except Conflict:  # stored by a worker that died before trimming
            pass
    if pending:
        queues.archived(len(pending))
    return len(pending)
