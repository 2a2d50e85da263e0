"""``response``: answer the caller with a SIP response code (486 by default) and end."""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.module import CommandModule, ModuleData
from callflow.modules.fields import media_url
from callflow.outcomes import Outcome, Stop


class ResponseSchema(ModuleData):
    """Kazoo's response data."""

    code = fields.Integer(load_default=486, validate=validate.Range(min=300, max=699))
    message = fields.String(load_default="", validate=validate.Regexp(r"^[A-Za-z0-9 .,'_-]{0,64}$"))
    media = fields.String(validate=media_url, metadata={"description": "played before responding"})


class Response(CommandModule):
    """Sends the response (after the media, if any), then stops."""

    data_schema = ResponseSchema

    def send(self, ctx: NodeContext) -> None:
        if ctx.data.get("media"):
            ctx.execute("pre_answer")
            ctx.execute("playback", ctx.data["media"])
        ctx.execute("respond", f"{ctx.data['code']} {ctx.data['message']}".strip())

    def done(self, ctx: NodeContext) -> Outcome:
        return Stop()

    def failed(self, ctx: NodeContext) -> Outcome:
        return Stop()
