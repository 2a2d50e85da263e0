"""Per-call state in Redis: the call record, its lock/commit/outbox store, the live index."""

from kazoo_tasks.callstate.active import ActiveCalls, node_alive_key
from kazoo_tasks.callstate.record import (
    STATUS_ACTIVE,
    STATUS_ENDED,
    STATUS_ENDING,
    new_call_record,
)
from kazoo_tasks.callstate.store import CALL_PARTS, CallStore, Finished, Held, InboxEntry, Locked

__all__ = [
    "CALL_PARTS",
    "STATUS_ACTIVE",
    "STATUS_ENDED",
    "STATUS_ENDING",
    "ActiveCalls",
    "CallStore",
    "Finished",
    "Held",
    "InboxEntry",
    "Locked",
    "new_call_record",
    "node_alive_key",
]
