"""Call detail records: built from the call record when the channel is gone.

The CDR is a pure function of the record, built by the navigator when it applies
CHANNEL_HANGUP_COMPLETE and carried by the ``write_cdr`` housekeeping task, so writing it
never needs the call's Redis keys (they expire after the grace period whatever happens to
the document store). Its id is deterministic, so writing it twice is harmless.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

ANONYMOUS_CDRS_DB = "anonymous_cdrs"
"""Where CDRs of calls that never found an account go (as in Kazoo)."""


def cdr_id(record: dict[str, Any]) -> str:
    """``YYYYMM-<call-id>``: Kazoo's CDR id shape, from the call's start time."""
    started = datetime.fromtimestamp(record["created_at"], UTC)
    return f"{started:%Y%m}-{record['call_id']}"


def _span(start: float | None, end: float | None) -> int:
    return max(round(end - start), 0) if start and end else 0


def build_cdr(record: dict[str, Any]) -> dict[str, Any]:
    """The CDR document of an ended call."""
    created, answered, ended = record["created_at"], record["answered_at"], record["hungup_at"]
    return {
        "_id": cdr_id(record),
        "pvt_type": "cdr",
        "call_id": record["call_id"],
        "account_id": record["account_id"],
        "media_server": record["node"],
        "call_direction": record["direction"],
        "caller_id_name": record["caller_id_name"],
        "caller_id_number": record["caller_id_number"],
        "callee_id_name": record["callee_id_name"],
        "callee_id_number": record["callee_id_number"],
        "request": record["request"],
        "to": record["to"],
        "from": record["from"],
        "other_leg_call_id": record["other_leg_call_id"],
        "custom_channel_vars": record["ccvs"],
        "callflow_id": record["callflow_id"],
        "hangup_cause": record["hangup_cause"],
        "timestamp": created,
        "answered_timestamp": answered,
        "hangup_timestamp": ended,
        "duration_seconds": _span(created, ended),
        "billing_seconds": _span(answered, ended),
        "ringing_seconds": _span(created, answered or ended),
        "node_runs": record["node_runs"],
        "trace": record["trace"],
        "trace_dropped": record["trace_dropped"],
        "pvt_created": ended,
    }
