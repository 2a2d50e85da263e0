"""Call detail records: built from the call record when the channel is gone.

The CDR is a pure function of the record, built by the navigator when it applies
CHANNEL_HANGUP_COMPLETE and spooled in Redis for the ``write_cdrs`` housekeeping task
(:mod:`callflow.cdr_spool`), so writing it never needs the call's Redis keys (they expire
after the grace period whatever happens to the document store). Its id is
deterministic, so writing it twice is harmless.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kazoo_tasks.clock import to_gregorian
from kazoo_tasks.docstore import account_db

ANONYMOUS_CDRS_DB = "anonymous_cdrs"
"""Where CDRs of calls that never found an account go (as in Kazoo)."""


def cdr_id(record: dict[str, Any]) -> str:
    """``YYYYMM-<call-id>``: Kazoo's CDR id shape, from the call's start time."""
    started = datetime.fromtimestamp(record["created_at"], UTC)
    return f"{started:%Y%m}-{record['call_id']}"


def _span(start: float | None, end: float | None) -> int:
    return max(round(end - start), 0) if start and end else 0


def _gregorian(unix_seconds: float | None) -> int | None:
    return None if unix_seconds is None else to_gregorian(unix_seconds)


def route_taken(cdr: dict[str, Any]) -> str:
    """How the call was routed, from its trace: ``<matched by>:<callflow id>`` (a number,
    a pattern, no_match...), ``no_route``, or ``-`` when it never was."""
    routes = [step for step in cdr.get("trace") or () if step.get("step") == "route"]
    return str(routes[-1].get("outcome") or "-") if routes else "-"


def summary(cdr: dict[str, Any]) -> str:
    """The one line a call leaves in the log at its end: who called whom, the route, the
    hangup cause and the duration."""
    caller = cdr.get("caller_id_number") or "anonymous"
    callee = cdr.get("callee_id_number") or (cdr.get("request") or "").partition("@")[0]
    return (
        f"call ended: {caller} -> {callee or '?'} route {route_taken(cdr)} "
        f"({cdr.get('node_runs', 0)} nodes) {cdr.get('hangup_cause') or '-'} "
        f"after {cdr.get('duration_seconds', 0)} s (billed {cdr.get('billing_seconds', 0)} s)"
    )


def call_parties(record: dict[str, Any]) -> dict[str, Any]:
    """Who called whom, under the names Kazoo's CDRs and channel events give them."""
    return {
        "call_direction": record["direction"],
        "caller_id_name": record["caller_id_name"],
        "caller_id_number": record["caller_id_number"],
        "callee_id_name": record["callee_id_name"],
        "callee_id_number": record["callee_id_number"],
        "request": record["request"],
        "to": record["to"],
        "from": record["from"],
    }


def build_cdr(record: dict[str, Any]) -> dict[str, Any]:
    """The CDR document of an ended call.

    Times are Kazoo's: gregorian seconds (:mod:`kazoo_tasks.clock`) in ``timestamp`` (the
    hangup, as in Kazoo), ``answered_timestamp``, ``hangup_timestamp`` and ``pvt_created``,
    so the API's ``created_from`` / ``created_to`` find CDRs like any other document;
    ``channel_created_time`` is FreeSWITCH's start of the channel in Unix microseconds.
    """
    created, answered, ended = record["created_at"], record["answered_at"], record["hungup_at"]
    account_id = record["account_id"]
    cdr = {
        "_id": cdr_id(record),
        "pvt_type": "cdr",
        "call_id": record["call_id"],
        "account_id": record["account_id"],
        "media_server": record["node"],
        **call_parties(record),
        "other_leg_call_id": record["other_leg_call_id"],
        "custom_channel_vars": record["ccvs"],
        "callflow_id": record["callflow_id"],
        "hangup_cause": record["hangup_cause"],
        "timestamp": to_gregorian(ended),
        "channel_created_time": int(created * 1_000_000),
        "answered_timestamp": _gregorian(answered),
        "hangup_timestamp": to_gregorian(ended),
        "duration_seconds": _span(created, ended),
        "billing_seconds": _span(answered, ended),
        "ringing_seconds": _span(created, answered or ended),
        "node_runs": record["node_runs"],
        "trace": record["trace"],
        "trace_dropped": record["trace_dropped"],
        "pvt_created": to_gregorian(ended),
        "pvt_modified": to_gregorian(ended),
    }
    if account_id:
        cdr.update(pvt_account_id=account_id, pvt_account_db=account_db(account_id))
    return cdr
