"""The call record: what the engine knows about one call, kept as JSON in Redis.

The fields follow Kazoo's ``kapps_call`` record. A record is created from the
``CHANNEL_PARK`` event that starts the call and is only ever changed by the navigator
(:mod:`callflow.exe`) while it holds the call's lock.
"""

from __future__ import annotations

from typing import Any

from kazoo_tasks.events import CallEvent

CCV_PREFIX = "variable_ecallmgr_"
"""FreeSWITCH header prefix of Kazoo's custom channel variables (``ecallmgr_<name>``)."""

ACCOUNT_CCV = "Account-ID"

STATUS_ACTIVE = "active"
"""The callflow runs (a node is current, or the call is being routed)."""
STATUS_ENDING = "ending"
"""The flow is over and a hangup was sent; waiting for CHANNEL_HANGUP_COMPLETE."""
STATUS_ENDED = "ended"
"""The channel is gone (or was reaped); the CDR is on its way and keys expire soon."""


def _seconds(micros: str | None) -> float | None:
    """FreeSWITCH microsecond timestamps ("0" meaning never) as epoch seconds."""
    if not micros or not micros.isdigit() or micros == "0":
        return None
    return int(micros) / 1e6


def custom_channel_vars(headers: dict[str, str]) -> dict[str, str]:
    """Kazoo's custom channel variables carried by an event (``variable_ecallmgr_*``)."""
    return {k[len(CCV_PREFIX) :]: v for k, v in headers.items() if k.startswith(CCV_PREFIX)}


def new_call_record(event: CallEvent) -> dict[str, Any]:
    """A fresh record for the call that ``event`` (its CHANNEL_PARK) starts."""
    headers = event["headers"]
    created = _seconds(headers.get("Caller-Channel-Created-Time")) or event["timestamp"]
    answered = headers.get("Answer-State") == "answered"
    return {
        "call_id": event["call_id"],
        "node": event["node"],
        "status": STATUS_ACTIVE,
        "direction": headers.get("Call-Direction", "inbound"),
        "account_id": None,
        "caller_id_name": headers.get("Caller-Caller-ID-Name", ""),
        "caller_id_number": headers.get("Caller-Caller-ID-Number", ""),
        "callee_id_name": headers.get("Caller-Callee-ID-Name", ""),
        "callee_id_number": headers.get("Caller-Callee-ID-Number", ""),
        "request_user": headers.get("Caller-Destination-Number", ""),
        "request": headers.get(
            "variable_sip_req_uri", headers.get("Caller-Destination-Number", "")
        ),
        "to": headers.get("variable_sip_to_uri", ""),
        "from": headers.get("variable_sip_from_uri", ""),
        "ccvs": custom_channel_vars(headers),
        "kvs": {},
        "created_at": created,
        "answered": answered,
        "answered_at": _seconds(headers.get("Caller-Channel-Answered-Time")) if answered else None,
        "hungup_at": None,
        "hangup_cause": None,
        "other_leg_call_id": None,
        "callflow_id": None,
        "capture_group": None,
        "capture_groups": {},
        "flows": {},
        "position": None,
        "stack": [],
        "branch_count": 0,
        "node_runs": 0,
        "node_state": {},
        "node_commands": [],
        "node_timers": {},
        "command_seq": 0,
        "timer_seq": 0,
        "hangup_sent": False,
        "last_event": {"node": event["node"], "sequence": 0},
        "trace": [],
        "trace_dropped": 0,
        "expire_at": None,
    }


def current_node(record: dict[str, Any]) -> dict[str, Any]:
    """The flow node the call is at (``{}`` when it is at none: routing, ending, ended)."""
    position = record.get("position")
    if position is None:
        return {}
    node = record["flows"].get(position["callflow_id"]) or {}
    for key in position["path"]:
        node = (node.get("children") or {}).get(key) or {}
    return node


def node_path(record: dict[str, Any]) -> str:
    """Where the call is, as logs and traces name it: ``<callflow-id>:<child keys>`` joined
    by ``/`` (``-`` when it is at no node)."""
    position = record.get("position")
    if position is None:
        return "-"
    return f"{position['callflow_id']}:{'/'.join(position['path'])}"


def leg_record(event: CallEvent, a_leg: dict[str, Any], now: float) -> dict[str, Any]:
    """The ended record of a B leg that call ``a_leg`` created, from the leg's
    ``CHANNEL_HANGUP_COMPLETE`` (which carries the whole channel): what its CDR is built
    from, linked to the A leg (``other_leg_call_id``)."""
    headers = event["headers"]
    record = new_call_record(event)
    answered = _seconds(headers.get("Caller-Channel-Answered-Time"))
    record.update(
        status=STATUS_ENDED,
        direction=headers.get("Call-Direction", "outbound"),
        account_id=record["ccvs"].get(ACCOUNT_CCV) or a_leg.get("account_id"),
        answered=answered is not None,
        answered_at=answered,
        hungup_at=_seconds(headers.get("Caller-Channel-Hangup-Time")) or event["timestamp"] or now,
        hangup_cause=event.get("hangup_cause") or "NORMAL_CLEARING",
        other_leg_call_id=a_leg["call_id"],
        callflow_id=a_leg.get("callflow_id"),
    )
    return record
