"""``webhook``: send the call's data to a web server during the flow (Kazoo's cf_webhook).

The request leaves once the step is committed, as a task off the call
(:mod:`callflow.webhook_delivery`); the flow goes on to ``_`` at once, whatever the server
does. The data are the call's (``call_id``, ``account_id``, caller and callee ids,
``request``, ``to``, ``from``, ``timestamp``) with ``custom_data`` beside them (a key of
the call's wins over one of ``custom_data``). A ``uri`` whose host the URL guard denies
(:mod:`kazoo_tasks.url_guard`, as ``pivot``) is refused when the callflow is saved, and
not asked when its host resolves into a denied network at call time (the flow goes on).
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.module import CallflowModule, ModuleData
from callflow.modules.fields import plain_text
from callflow.outcomes import Continue, Outcome
from callflow.webhook_delivery import WEBHOOK_TASK
from kazoo_tasks.url_guard import allowed_url

CALL_FIELDS = (
    "call_id", "account_id", "caller_id_name", "caller_id_number", "callee_id_name",
    "callee_id_number", "request", "to", "from", "direction",
)  # fmt: skip
"""What of the call record the server gets."""
DEFAULT_TRIES, MAX_TRIES = 3, 5


class WebhookSchema(ModuleData):
    """Kazoo's callflows.webhook data."""

    uri = fields.String(
        validate=[
            plain_text,
            validate.Length(max=2048),
            validate.URL(schemes={"http", "https"}, require_tld=False),
            allowed_url,
        ],
        metadata={"description": "the http(s) URL to send the request to"},
    )
    http_verb = fields.String(load_default="post", validate=validate.OneOf(["post", "get"]))
    retries = fields.Integer(
        load_default=DEFAULT_TRIES,
        metadata={"description": f"tries in all (at most {MAX_TRIES} are made)"},
    )
    custom_data = fields.Dict(keys=fields.String(), load_default=dict)


class Webhook(CallflowModule):
    """Sends the request off the call and continues to ``_``."""

    data_schema = WebhookSchema

    def start(self, ctx: NodeContext) -> Outcome:
        data = ctx.data
        if not data.get("uri"):
            ctx.note("no uri: nothing sent")
            return Continue()
        call: dict[str, Any] = {k: ctx.call.get(k) for k in CALL_FIELDS if ctx.call.get(k)}
        payload = {**data["custom_data"], **call, "timestamp": int(ctx.now())}
        tries = min(max(data["retries"], 1), MAX_TRIES)
        request = {
            "uri": data["uri"], "method": data["http_verb"], "data": payload, "tries": tries,
            "call_id": ctx.call["call_id"],
        }  # fmt: skip
        ctx.send_task(WEBHOOK_TASK, [request])
        ctx.note(f"webhook {data['http_verb']} {data['uri']}")
        return Continue()
