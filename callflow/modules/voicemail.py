"""``voicemail``: leave a message in a box (``action: compose``, the default) or check a
box (``action: check``), as Kazoo's cf_voicemail; the logic is in :mod:`callflow.voicemail`.

Children: ``_`` once done (Kazoo continues); a caller who hangs up stops the flow.
"""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.module import ModuleData
from callflow.outcomes import Stop
from callflow.steps import Answer, StepModule, Steps
from callflow.voicemail import check, compose
from callflow.voicemail.dialog import CallerGone
from callflow.voicemail.mailbox import DEFAULT_INTERDIGIT_MS
from callflow.voicemail.steps import LoadBox


class VoicemailSchema(ModuleData):
    """Kazoo's callflows.voicemail data."""

    action = fields.String(load_default="compose", validate=validate.OneOf(["compose", "check"]))
    id = fields.String(
        validate=validate.Length(min=1, max=128), metadata={"description": "vmbox id"}
    )
    max_message_length = fields.Integer(
        validate=validate.Range(min=1, max=3600),
        metadata={"description": "seconds (else the box's, else 500)"},
    )
    interdigit_timeout = fields.Integer(
        validate=validate.Range(min=100, max=60000),
        metadata={"description": "milliseconds (else the box's, else 2000)"},
    )
    single_mailbox_login = fields.Boolean(load_default=False)
    callerid_match_login = fields.Boolean(load_default=False)


class Voicemail(StepModule):
    """Answers, finds the box, then composes or checks."""

    data_schema = VoicemailSchema

    def steps(self, ctx: NodeContext) -> Steps:
        data = ctx.data
        call = ctx.call
        yield Answer()
        checking = data["action"] == "check"
        loaded = yield LoadBox(
            box_id=data.get("id"),
            number=None if data.get("id") else call.get("capture_group") or None,
            owner_id=(call["ccvs"].get("Owner-ID") or None) if checking else None,
            single_mailbox_login=data["single_mailbox_login"],
            caller_number=call.get("caller_id_number") if data["callerid_match_login"] else None,
            max_message_length=data.get("max_message_length"),
        )
        if loaded.hung_up:
            return Stop()
        box = loaded.details
        options = {
            "interdigit_ms": box.get("interdigit_ms")
            or data.get("interdigit_timeout")
            or DEFAULT_INTERDIGIT_MS
        }
        try:
            if checking:
                return (yield from check.check(ctx, box, options))
            return (yield from compose.compose(ctx, box, options))
        except CallerGone:
            return Stop()
