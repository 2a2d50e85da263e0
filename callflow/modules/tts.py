"""``tts``: speak a text with the switch's text-to-speech engine (FreeSWITCH ``speak``)."""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.module import CommandModule, ModuleData
from callflow.modules.fields import plain_text
from kazoo_tasks.commands import sanitize_text

FLITE_VOICES = {"female": "slt", "male": "rms"}
"""Kazoo's voice names mapped to flite's voices."""


class TtsSchema(ModuleData):
    """Kazoo's tts data."""

    text = fields.String(required=True, validate=[validate.Length(min=1, max=4000), plain_text])
    voice = fields.String(
        load_default="female", validate=validate.Regexp(r"^[A-Za-z0-9_.-]{1,64}$")
    )
    language = fields.String(load_default="en-US", validate=validate.Regexp(r"^[A-Za-z-]{2,16}$"))
    engine = fields.String(load_default="flite", validate=validate.Regexp(r"^[a-z0-9_]{1,32}$"))
    answer = fields.Boolean(load_default=True)


class Tts(CommandModule):
    """Speaks the text, then continues to ``_``."""

    data_schema = TtsSchema

    def send(self, ctx: NodeContext) -> None:
        if ctx.data["answer"] and not ctx.call["answered"]:
            ctx.execute("answer")
        engine, voice = ctx.data["engine"], ctx.data["voice"]
        if engine == "flite":
            voice = FLITE_VOICES.get(voice, voice)
        ctx.execute("speak", f"{engine}|{voice}|{sanitize_text(ctx.data['text'])}")
