"""The channel webhooks a call fires (Kazoo's ``channel_create``, ``channel_answer``,
``channel_bridge``, ``channel_destroy``): built by the navigator from the call record as
the step that saw the event runs, and sent, one ``kazoo.webhooks.deliver`` task per
matching hook, once the step is committed (the outbox), like its commands.

The call never waits for a customer's server: the delivery runs on the ``webhooks``
queue (:mod:`workers.webhooks`). The deliveries of one call to one server URL (its
*lane*, whichever hooks point there) carry a sequence number (``webhook_seq`` in the
record, committed with the step, so a re-run step numbers them the same): the delivery
worker sends number *n* only after *n - 1* is finished, so a server sees each call's
events in the order the call had them, and a slow server holds up only its own lane.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from callflow.cdr import call_parties
from kazoo_tasks.clock import to_gregorian
from kazoo_tasks.webhooks import CHANNEL_DESTROY, DELIVER_TASK

_EVENT_IDS = uuid.UUID("0b6f5a4e-6c39-4bb0-8d0e-3f9d7b8a1c52")
_CCV_FIELDS = {"authorizing_id": "Authorizing-ID", "authorizing_type": "Authorizing-Type",
               "owner_id": "Owner-ID"}  # fmt: skip


def _span(start: float | None, end: float | None) -> int:
    return max(int(end - start), 0) if start is not None and end is not None else 0


def channel_payload(record: dict[str, Any], hook_event: str, at: float) -> dict[str, Any]:
    """What a customer receives for ``hook_event`` of the call (Kazoo's base channel
    payload; ``channel_destroy`` adds the hangup cause and the durations)."""
    ccvs = record.get("ccvs") or {}
    payload: dict[str, Any] = {
        "hook_event": hook_event,
        "call_id": record["call_id"],
        "account_id": record["account_id"],
        **call_parties(record),
        "other_leg_call_id": record.get("other_leg_call_id"),
        "custom_channel_vars": dict(ccvs),
        "is_internal_leg": False,
        "timestamp": to_gregorian(at),
        **{name: ccvs.get(ccv) for name, ccv in _CCV_FIELDS.items()},
    }
    if hook_event == CHANNEL_DESTROY:
        created, answered, ended = record["created_at"], record["answered_at"], record["hungup_at"]
        payload.update(
            hangup_cause=record["hangup_cause"],
            duration_seconds=_span(created, ended),
            billing_seconds=_span(answered, ended),
            ringing_seconds=_span(created, answered or ended),
        )
    return {key: value for key, value in payload.items() if value not in (None, "")}


def lane_of(uri: str) -> str:
    """The ordering lane of a server URL (a short digest)."""
    return hashlib.sha1(uri.encode(), usedforsecurity=False).hexdigest()[:12]


def deliveries(
    record: dict[str, Any], hook_event: str, hooks: list[dict[str, Any]], at: float
) -> list[dict[str, Any]]:
    """The outbox entries delivering ``hook_event`` of the call to each of ``hooks``
    (numbering them in the record's ``webhook_seq``)."""
    if not hooks:
        return []
    payload = channel_payload(record, hook_event, at)
    numbers = record.setdefault("webhook_seq", {})
    entries = []
    for hook in hooks:
        lane = lane_of(str(hook.get("uri")))
        seq = numbers[lane] = numbers.get(lane, 0) + 1
        seed = f"{record['call_id']}#{hook['_id']}#{lane}#{seq}"
        delivery = {
            "hook_id": hook["_id"],
            "hook_account_id": hook.get("pvt_account_id") or record["account_id"],
            "hook_event": hook_event,
            "event_id": uuid.uuid5(_EVENT_IDS, seed).hex[:10],
            "payload": payload,
            "order": {"call_id": record["call_id"], "lane": lane, "seq": seq},
        }
        entries.append({"type": "task", "name": DELIVER_TASK, "args": [delivery]})
    return entries
