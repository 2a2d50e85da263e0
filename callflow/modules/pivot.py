"""``pivot``: the customer's web server says what the call does next (Kazoo's cf_pivot).

The node asks ``voice_url`` (``method`` get / post, ``req_body_format`` form / json) with
the call's data (Kazoo's request parameters: ``Call-ID``, ``Account-ID``,
``Caller-ID-Number``, ``Digits``: the DTMF collections...; TwiML's ``CallSid``,
``From``, ``Digits``... with ``req_format`` twiml). The request runs off the call
(:mod:`callflow.pivot_requests`); the node waits for its answer, at most
``req_timeout_ms`` plus :data:`GRACE` seconds on a timer, so a lost request never holds
the call. The answer's content type picks how it is read: JSON is a callflow (Kazoo's
format: a flow node, or ``{"flow": node}``), validated like a saved callflow; XML is
TwiML (:mod:`callflow.twiml`); ``text/plain`` or none is read as ``req_format`` says.
A good answer's flow replaces the rest of this one (Kazoo's ``continue_with_flow``); a
failed request, a bad answer or no answer in time goes to ``_``. A call makes at most
:data:`MAX_PIVOTS` requests (a server that answers with a pivot to itself ends there).
A ``voice_url`` whose host is blacklisted (loopback, link-local and private networks by
default: ``KAZOO_PIVOT_*`` settings, :mod:`kazoo_tasks.url_guard`) is refused when the
callflow is saved, and the request is not made when its host resolves into one at call
time (the node goes to ``_``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from marshmallow import ValidationError, fields, validate

from callflow import twiml
from callflow.call_params import collections, request_params
from callflow.context import NodeContext
from callflow.dtmf_collections import DEFAULT
from callflow.flow_tree import load_node
from callflow.module import CallflowModule, ModuleData
from callflow.modules.fields import plain_text
from callflow.outcomes import Continue, ContinueWith, Outcome, Wait
from callflow.pivot_requests import PIVOT_RESPONSE, PIVOT_TASK
from kazoo_tasks.events import CallEvent
from kazoo_tasks.url_guard import allowed_url

GRACE = 5.0
"""Seconds the node waits beyond the request's timeout before it gives the request up."""
MAX_PIVOTS = 25
"""Pivot requests one call may make."""
COUNTER = "pivot_counter"
"""The call's kvs key counting its pivot requests (Kazoo's name)."""
TIMEOUT_MS = 5000
"""Kazoo's default (and largest) ``req_timeout_ms``."""


def _url(
    description: str, extra: list[Callable[[str], None]] | None = None, **options: Any
) -> fields.String:
    return fields.String(
        validate=[
            plain_text,
            validate.Length(max=2048),
            validate.URL(schemes={"http", "https"}, require_tld=False),
            *(extra or []),
        ],
        metadata={"description": description},
        **options,
    )


class PivotSchema(ModuleData):
    """Kazoo's callflows.pivot data."""

    voice_url = _url("the URL asked for the callflow", required=True, extra=[allowed_url])
    method = fields.String(
        load_default="get", validate=validate.OneOf(["get", "post", "GET", "POST"])
    )
    req_body_format = fields.String(load_default="form", validate=validate.OneOf(["form", "json"]))
    req_format = fields.String(load_default="kazoo", validate=validate.OneOf(["kazoo", "twiml"]))
    req_timeout_ms = fields.Integer(
        load_default=TIMEOUT_MS,
        validate=validate.Range(min=1, max=TIMEOUT_MS),
        metadata={"description": "how long the server may take (ms)"},
    )
    debug = fields.Boolean(
        load_default=False, metadata={"description": "trace the request and the answer"}
    )
    cdr_url = _url("accepted, not used (Kazoo sends TwiML calls' CDRs there)")
    require_digits = fields.Boolean(
        load_default=False,
        metadata={
            "description": "ask only if the caller typed digits, else go to `_` "
            "(TwiML's Gather action)"
        },
    )


def flow_of(answer: dict[str, Any], req_format: str) -> dict[str, Any]:
    """The flow tree of a server's answer, validated; raises ``ValueError`` with the reason
    when the answer is no callflow we can run."""
    content_type = str(answer.get("content_type") or "").split(";", 1)[0].strip().lower()
    body = str(answer.get("body") or "")
    if content_type in ("", "text/plain"):
        kind = req_format
    elif content_type.endswith(("/json", "+json")):
        kind = "kazoo"
    elif content_type.endswith(("/xml", "+xml")):
        kind = "twiml"
    else:
        raise ValueError(f"content type {content_type!r} is neither JSON nor XML")
    if kind == "twiml":
        tree = twiml.to_flow(body, base_url=str(answer.get("url") or ""))
    else:
        try:
            tree = json.loads(body)
        except ValueError as exc:
            raise ValueError(f"invalid JSON: {exc}") from exc
        if isinstance(tree, dict) and isinstance(tree.get("flow"), dict):
            tree = tree["flow"]
    try:
        return load_node(tree)
    except ValidationError as exc:
        raise ValueError(f"invalid callflow: {json.dumps(exc.messages)}") from exc


class Pivot(CallflowModule):
    """Asks the server, waits for its answer (or the timer), then runs what it sent."""

    data_schema = PivotSchema

    def start(self, ctx: NodeContext) -> Outcome:
        data = ctx.data
        if data["require_digits"] and not collections(ctx).get(DEFAULT):
            ctx.note("no digits: nothing asked")
            return Continue()
        count = int(ctx.kvs_fetch(COUNTER) or 0)
        if count >= MAX_PIVOTS:
            ctx.note(f"more than {MAX_PIVOTS} pivot requests in this call: not asked")
            return Continue()
        ctx.kvs_store(COUNTER, count + 1)
        timeout = data["req_timeout_ms"] / 1000
        request_id = ctx.start_timer(timeout + GRACE, name="pivot")
        method = data["method"].lower()
        request = {
            "id": request_id, "call_id": ctx.call["call_id"], "node": ctx.call["node"],
            "url": data["voice_url"], "method": method, "body_format": data["req_body_format"],
            "params": request_params(ctx, data["req_format"]), "timeout": timeout,
            "not_after": ctx.now() + timeout + GRACE,
        }  # fmt: skip
        ctx.state["request"] = request_id
        ctx.send_task(PIVOT_TASK, [request])
        ctx.note(f"pivot {method} {data['voice_url']}")
        if data["debug"]:
            ctx.note(f"pivot request: {json.dumps(request['params'])}")
        return Wait()

    def on_event(self, ctx: NodeContext, event: CallEvent) -> Outcome:
        if ctx.timer_fired(event) == "pivot":
            ctx.note("pivot: no answer in time")
            return Continue()
        if event["name"] != PIVOT_RESPONSE or event.get("pivot_request") != ctx.state["request"]:
            return Wait()
        answer: dict[str, Any] = event.get("pivot") or {}
        if ctx.data["debug"]:
            body = str(answer.get("body") or "")
            ctx.note(f"pivot answer: {answer.get('code')} {answer.get('content_type')} {body}")
        if answer.get("status") != "ok":
            ctx.note(f"pivot failed: {answer.get('reason')}")
            return Continue()
        try:
            flow = flow_of(answer, ctx.data["req_format"])
        except ValueError as bad:
            ctx.note(f"pivot answer refused: {bad}")
            return Continue()
        return ContinueWith(flow, name="pivot")
