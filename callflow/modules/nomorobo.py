"""``nomorobo``: ask Nomorobo how likely the caller is a robocaller and branch on the
answer (Kazoo's cf_nomorobo).

The request is a GET of ``KAZOO_NOMOROBO_URL?From=<caller>&To=<number called>`` (ten-digit
NANP numbers, as Kazoo's ``to_npan``) with the node's ``username`` / ``password`` as HTTP
basic auth, made off the call by the pivot request task (:mod:`callflow.pivot_requests`:
bounded in time and size, its answer delivered as an event; ``KAZOO_CALLFLOW_HTTP_TIMEOUT``
seconds at most). The answer's ``score`` (0 to 1) times ten, truncated, picks the child:
the children named by integers (``_`` counting as -1) are sorted and the highest not above
the score is taken, else the lowest. With no score (an error, a timeout, not JSON), the
call goes to ``_``, else ``0``, else stops, as in Kazoo.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import urlencode

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.module import CallflowModule, ModuleData
from callflow.outcomes import DEFAULT_CHILD, Continue, Outcome, Stop, Wait
from callflow.pivot_requests import PIVOT_RESPONSE, PIVOT_TASK
from kazoo_tasks.events import CallEvent

GRACE = 2.0
"""Seconds the node waits beyond the request's own timeout before giving up on it."""


class NomoroboSchema(ModuleData):
    """Kazoo's callflows.nomorobo data."""

    username = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    password = fields.String(validate=validate.Length(min=1, max=1000))


def npan(number: str) -> str:
    """A number as Kazoo's ``knm_converters:to_npan``: a NANP number's ten digits."""
    digits = "".join(c for c in number if c.isdigit())
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def score_of(answer: dict[str, Any]) -> int | None:
    """Nomorobo's ``score`` times ten, truncated; None when the request failed or the
    answer holds no number."""
    if answer.get("status") != "ok":
        return None
    try:
        score = float(json.loads(str(answer.get("body") or ""))["score"])
    except (ValueError, TypeError, KeyError):
        return None
    return math.trunc(score * 10) if math.isfinite(score) else None


def branches(keys: list[str]) -> list[int]:
    """The node's children usable as scores, sorted (``_`` is -1)."""
    found = [
        -1 if key == DEFAULT_CHILD else int(key)
        for key in keys
        if key == DEFAULT_CHILD or key.lstrip("-").isdigit()
    ]
    return sorted(found)


def branch_for(score: int, keys: list[str]) -> str | None:
    """The child for ``score`` (Kazoo's ``nomorobo_branch``), None with no usable child."""
    usable = branches(keys)
    if not usable:
        return None
    chosen = usable[0]
    for key in usable[1:]:
        if key <= score:
            chosen = key
    return DEFAULT_CHILD if chosen == -1 else str(chosen)


class Nomorobo(CallflowModule):
    """Sends the request, waits for its answer (or the timer), then branches."""

    data_schema = NomoroboSchema

    def start(self, ctx: NodeContext) -> Outcome:
        call, settings = ctx.call, ctx.settings
        query = urlencode({
            "From": npan(str(call.get("caller_id_number") or "")),
            "To": npan(str(call.get("request_user") or "")),
        })  # fmt: skip
        timeout = settings.callflow_http_timeout
        request_id = ctx.start_timer(timeout + GRACE, name="nomorobo")
        request = {
            "id": request_id, "call_id": call["call_id"], "node": call["node"],
            "url": f"{settings.nomorobo_url}?{query}", "method": "get", "body_format": "form",
            "params": {}, "timeout": timeout, "not_after": ctx.now() + timeout + GRACE,
            "auth": [ctx.data["username"], ctx.data.get("password") or ""],
        }  # fmt: skip
        ctx.state["request"] = request_id
        ctx.send_task(PIVOT_TASK, [request])
        return Wait()

    def on_event(self, ctx: NodeContext, event: CallEvent) -> Outcome:
        if ctx.timer_fired(event) == "nomorobo":
            return self._default(ctx, "no answer in time")
        if event["name"] != PIVOT_RESPONSE or event.get("pivot_request") != ctx.state["request"]:
            return Wait()
        answer: dict[str, Any] = event.get("pivot") or {}
        score = score_of(answer)
        if score is None:
            return self._default(ctx, f"no score ({answer.get('reason') or 'not a score'})")
        child = branch_for(score, ctx.child_keys())
        ctx.note(f"score {score}: child {child}")
        return Continue(child) if child is not None else Stop()

    @staticmethod
    def _default(ctx: NodeContext, why: str) -> Outcome:
        usable = branches(ctx.child_keys())
        ctx.note(why)
        if usable and usable[0] == -1:
            return Continue()
        if usable and usable[0] == 0:
            return Continue("0")
        return Stop()
