"""``manual_presence``: set the presence (BLF) state of an id by dialing a code (Kazoo's
cf_manual_presence): ``status`` idle, ringing or busy for ``presence_id`` (``@`` and the
call's realm added when it has none); stored by :mod:`callflow.presence`; answers, then
``_``."""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.module import CommandModule, ModuleData
from callflow.presence import PRESENCE_TASK, STATES


class ManualPresenceSchema(ModuleData):
    """Kazoo's callflows.manual_presence data."""

    presence_id = fields.String(
        required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.+*#@-]{1,256}$")
    )
    status = fields.String(load_default="idle", validate=validate.OneOf(list(STATES)))


class ManualPresence(CommandModule):
    """Answers and has the presence stored."""

    data_schema = ManualPresenceSchema

    def send(self, ctx: NodeContext) -> None:
        presence_id = ctx.data["presence_id"]
        if "@" not in presence_id:
            realm = str(ctx.call.get("request") or "").partition("@")[2]
            presence_id = f"{presence_id}@{realm}" if realm else presence_id
        state = STATES[ctx.data["status"]]
        ctx.send_task(PRESENCE_TASK, [str(ctx.call.get("account_id")), presence_id, state])
        ctx.note(f"presence {presence_id}: {state}")
        if not ctx.call["answered"]:
            ctx.execute("answer")
