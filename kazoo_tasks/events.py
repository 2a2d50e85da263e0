"""The call event contract: what ecallmgr hands the pipeline for each FreeSWITCH event.

A call event is a plain dict (it travels as JSON through Redis) built from one
``text/event-plain`` frame by :func:`call_event_from_plain`. Only the events in
:data:`PIPELINE_EVENTS` are subscribed to and published; everything else FreeSWITCH can
send is noise to the call pipeline.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from kazoo_tasks.esl.frames import PlainEvent

PIPELINE_EVENTS: tuple[str, ...] = (
    "CHANNEL_PARK",
    "CHANNEL_ANSWER",
    "CHANNEL_EXECUTE_COMPLETE",
    "CHANNEL_BRIDGE",
    "CHANNEL_UNBRIDGE",
    "DTMF",
    "RECORD_STOP",
    "CHANNEL_HANGUP_COMPLETE",
    "BACKGROUND_JOB",
)
"""Event names the call pipeline consumes."""

PIPELINE_CUSTOM_EVENTS: tuple[str, ...] = (
    "sofia::register",
    "sofia::unregister",
    "conference::maintenance",
)
"""``CUSTOM`` subclasses the pipeline consumes (registrations, conference participants):
switch-wide facts, each a housekeeping task (``kazoo_tasks.bus.SWITCH_EVENT_TASKS``)."""

COMMAND_ERROR = "COMMAND_ERROR"
"""Synthetic event ecallmgr delivers when a command was refused (invalid, ``-ERR`` from
FreeSWITCH, no reply): ``application_uuid`` is the command id, ``application_response``
the error, so the node waiting for that command can move on."""

STATE_CHECK = "STATE_CHECK"
"""Synthetic event ecallmgr delivers to every controlled call when Redis lost its data,
carrying the channel's data: the engine ignores it for a call it still runs, routes a
parked call that was never answered (its park was lost), and ends any other call."""

SYNTHETIC_HEADER = "Kazoo-Synthetic"
"""Header present (holding the reason) in events made by ecallmgr, not FreeSWITCH."""

RESYNC_HEADER = "Kazoo-Resync"
"""Header ecallmgr adds (holding what it found) to a real FreeSWITCH event that closes an
ESL re-sync for its call (the completion of the re-sync probe)."""


def subscription_command() -> str:
    """The ``event plain ...`` command that subscribes to exactly what the pipeline needs."""
    return "event plain " + " ".join((*PIPELINE_EVENTS, "CUSTOM", *PIPELINE_CUSTOM_EVENTS))


class CallEvent(TypedDict):
    """One FreeSWITCH event, normalized. ``headers`` keeps the raw (decoded) headers.

    ``leg_of`` is set on the events of a B leg that a call of ours created (its
    ``variable_originating_leg_uuid``): they go to that call's inbox (:func:`inbox_of`),
    so its state sees who answered and when its legs hang up."""

    name: str
    call_id: str
    node: str
    timestamp: float
    sequence: int
    received_at: float
    headers: dict[str, str]
    application_name: NotRequired[str]
    application_uuid: NotRequired[str]
    application_response: NotRequired[str]
    application_data: NotRequired[str]
    dtmf_digit: NotRequired[str]
    hangup_cause: NotRequired[str]
    other_leg_call_id: NotRequired[str]
    body: NotRequired[str]
    leg_of: NotRequired[str]
    timer_id: NotRequired[str]
    timer_name: NotRequired[str]
    due_at: NotRequired[float]
    pivot_request: NotRequired[str]
    pivot: NotRequired[dict[str, Any]]


_OPTIONAL_FIELDS = (
    ("application_name", "Application"),
    ("application_uuid", "Application-UUID"),
    ("application_response", "Application-Response"),
    ("application_data", "Application-Data"),
    ("dtmf_digit", "DTMF-Digit"),
    ("hangup_cause", "Hangup-Cause"),
    ("other_leg_call_id", "Other-Leg-Unique-ID"),
)


LEG_EVENTS: tuple[str, ...] = ("CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE")
"""Events of our calls' B legs that go to their A leg's inbox."""

ORIGINATING_LEG_HEADER = "variable_originating_leg_uuid"
"""The header FreeSWITCH gives every leg a ``bridge`` / ``originate`` created from a call."""


def inbox_of(event: CallEvent) -> str:
    """The call whose inbox ``event`` goes to: its own, or its A leg's for a B leg's."""
    return event.get("leg_of") or event["call_id"]


def event_name(headers: dict[str, str]) -> str:
    """The name the pipeline uses: ``Event-Subclass`` for CUSTOM events, else ``Event-Name``."""
    name = headers.get("Event-Name", "")
    return headers.get("Event-Subclass", name) if name == "CUSTOM" else name


def call_event_from_plain(event: PlainEvent, node: str, received_at: float) -> CallEvent:
    """Normalize a decoded plain event received from FreeSWITCH node ``node``.

    ``call_id`` is the channel's ``Unique-ID`` (empty for events without a channel, such
    as BACKGROUND_JOB or registrations); ``received_at`` is the receiver's clock, the one
    to measure latency with (FreeSWITCH's timestamps move in 20 ms steps).
    """
    headers = event.headers
    timestamp = headers.get("Event-Date-Timestamp", "0")
    sequence = headers.get("Event-Sequence", "0")
    normalized: dict[str, Any] = {
        "name": event_name(headers),
        "call_id": headers.get("Unique-ID", ""),
        "node": node,
        "timestamp": int(timestamp) / 1e6 if timestamp.isdigit() else 0.0,
        "sequence": int(sequence) if sequence.isdigit() else 0,
        "received_at": received_at,
        "headers": dict(headers),
    }
    for field_name, header in _OPTIONAL_FIELDS:
        if header in headers:
            normalized[field_name] = headers[header]
    if event.body:
        normalized["body"] = event.body
    return normalized  # type: ignore[return-value]


def synthetic_event(
    name: str, call_id: str, node: str, reason: str, now: float, **fields: str
) -> CallEvent:
    """An event ecallmgr makes itself (``COMMAND_ERROR``, a hangup for a vanished channel).

    ``fields`` are optional :class:`CallEvent` fields (``application_uuid``,
    ``hangup_cause``...); ``headers`` hold only the name, the call id and
    :data:`SYNTHETIC_HEADER` so nobody mistakes it for a FreeSWITCH event.
    """
    unknown = set(fields) - {f for f, _ in _OPTIONAL_FIELDS}
    if unknown:
        raise ValueError(f"not call event fields: {sorted(unknown)}")
    event: dict[str, Any] = {
        "name": name,
        "call_id": call_id,
        "node": node,
        "timestamp": now,
        "sequence": 0,
        "received_at": now,
        "headers": {"Event-Name": name, "Unique-ID": call_id, SYNTHETIC_HEADER: reason},
        **fields,
    }
    return event  # type: ignore[return-value]
