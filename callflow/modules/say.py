"""``say``: have the switch say a number, a date, digits... (FreeSWITCH ``say``)."""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.module import CommandModule, ModuleData
from callflow.modules.fields import plain_text
from kazoo_tasks.commands import sanitize_text

SAY_TYPES = (
    "number",
    "items",
    "persons",
    "messages",
    "currency",
    "time_measurement",
    "current_date",
    "current_time",
    "current_date_time",
    "telephone_number",
    "telephone_extension",
    "url",
    "ip_address",
    "email_address",
    "postal_address",
    "account_number",
    "name_spelled",
    "name_phonetic",
    "short_date_time",
)
SAY_METHODS = ("pronounced", "iterated", "counted", "n/a")


class SaySchema(ModuleData):
    """What to say and how."""

    say_text = fields.String(required=True, validate=[validate.Length(min=1, max=512), plain_text])
    type = fields.String(load_default="number", validate=validate.OneOf(SAY_TYPES))
    method = fields.String(load_default="pronounced", validate=validate.OneOf(SAY_METHODS))
    language = fields.String(
        load_default="en", validate=validate.Regexp(r"^[a-z]{2}(-[A-Za-z]{2})?$")
    )
    gender = fields.String(validate=validate.OneOf(("masculine", "feminine", "neuter")))
    answer = fields.Boolean(load_default=True)


class Say(CommandModule):
    """Says the text, then continues to ``_``."""

    data_schema = SaySchema

    def send(self, ctx: NodeContext) -> None:
        data = ctx.data
        if data["answer"] and not ctx.call["answered"]:
            ctx.execute("answer")
        words = [data["language"], data["type"], data["method"], data.get("gender", "")]
        words.append(sanitize_text(data["say_text"]))
        ctx.execute("say", " ".join(w for w in words if w))
