"""``language``: the language of the rest of the call (Kazoo's cf_language: the channel's
``default_language``, which FreeSWITCH's prompts and ``say`` use, and the call's
``language`` in its kvs)."""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.module import CommandModule, ModuleData


class LanguageSchema(ModuleData):
    """Kazoo's callflows.language data."""

    language = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z]{2}(-[A-Za-z]{2})?\Z", error="e.g. en or en-US"),
        metadata={"description": "the language for the rest of the call"},
    )


class Language(CommandModule):
    """Sets the language, then continues to ``_``."""

    data_schema = LanguageSchema

    def send(self, ctx: NodeContext) -> None:
        ctx.kvs_store("language", ctx.data["language"])
        ctx.execute("set", f"default_language={ctx.data['language']}")
