"""``audio_macro``: several prompts played as one (Kazoo's cf_audio_macro).

``macros`` are played in order: ``play`` (a media id or URL, as the ``play`` module),
``prompt`` (one of Kazoo's system prompts by name, ``vm-enter_pin``...: the stock
FreeSWITCH sound :mod:`callflow.prompts` maps it to; a name it does not know is skipped),
``say`` (FreeSWITCH ``say``), ``tts`` (``speak``) and ``tone`` (``frequencies``,
``duration_on`` / ``duration_off`` in ms, ``repeat``: a ``tone_stream://``). A key among
the ``terminators`` (the macro's, else the node's; every key by default) stops the macro
that plays and skips the rest. A macro that cannot play (a missing media, a bad entry) is
noted in the trace and skipped. Then ``_``; a caller who hangs up stops the flow.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.module import ModuleData
from callflow.modules.fields import plain_text
from callflow.modules.tts import FLITE_VOICES
from callflow.outcomes import Continue, Stop
from callflow.prompts import prompt
from callflow.steps import Play, Say, Step, StepModule, Steps, Tts

ANY_KEY = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"]
KEYS = validate.OneOf(ANY_KEY)
MACROS = ("play", "prompt", "say", "tts", "tone")


class MacroSchema(ModuleData):
    """One entry of ``macros`` (Kazoo's oneOf of play, tone, prompt, say, tts)."""

    macro = fields.String(required=True, validate=validate.OneOf(MACROS))
    id = fields.String(validate=[plain_text, validate.Length(min=1, max=2048)])
    text = fields.String(validate=[plain_text, validate.Length(min=1, max=4000)])
    type = fields.String(validate=validate.Regexp(r"^[a-z_-]{1,32}$"))
    method = fields.String(validate=validate.Regexp(r"^[a-z_/-]{1,32}$"))
    gender = fields.String(validate=validate.OneOf(("masculine", "feminine", "neuter")))
    voice = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_.-]{1,64}$"))
    language = fields.String(validate=validate.Regexp(r"^[A-Za-z-]{2,16}$"))
    terminators = fields.List(fields.String(validate=KEYS))
    frequencies = fields.List(fields.Integer(validate=validate.Range(min=0, max=20000)))
    duration_on = fields.Integer(validate=validate.Range(min=0, max=60000))
    duration_off = fields.Integer(validate=validate.Range(min=0, max=60000))
    repeat = fields.Integer(validate=validate.Range(min=0, max=100))
    volume = fields.Integer(validate=validate.Range(min=-63, max=0))


class AudioMacroSchema(ModuleData):
    """Kazoo's callflows.audio_macro data."""

    macros = fields.List(fields.Nested(MacroSchema), load_default=list)
    language = fields.String(validate=validate.Regexp(r"^[A-Za-z-]{2,16}$"))
    terminators = fields.List(fields.String(validate=KEYS), load_default=lambda: list(ANY_KEY))


def tone_stream(macro: dict[str, Any]) -> str | None:
    """A TGML ``tone_stream://`` of a ``tone`` macro (None without frequencies)."""
    frequencies = [str(f) for f in macro.get("frequencies") or []]
    if not frequencies:
        return None
    on, off = macro.get("duration_on", 1000), macro.get("duration_off", 0)
    tone = f"%({on},{off},{','.join(frequencies)})"
    volume = f"v={macro['volume']};" if macro.get("volume") is not None else ""
    loops = f";loops={macro['repeat']}" if macro.get("repeat") else ""
    return f"tone_stream://{volume}{tone}{loops}"


def macro_step(macro: dict[str, Any], data: dict[str, Any]) -> Step | None:
    """The step that plays one macro (None: it has nothing playable)."""
    terminators = "".join(macro.get("terminators") or data["terminators"])
    language = macro.get("language") or data.get("language")
    kind = macro["macro"]
    if kind == "play" and macro.get("id"):
        return Play(macro["id"], terminators)
    if kind == "prompt" and macro.get("id"):
        sound = prompt(macro["id"])
        return Play(sound, terminators) if sound else None
    if kind == "tone":
        stream = tone_stream(macro)
        return Play(stream, terminators) if stream else None
    if kind == "say" and macro.get("text"):
        words = {k: macro[k] for k in ("type", "method", "gender") if macro.get(k)}
        lang = (language or "en").lower()
        return Say(macro["text"], language=lang, terminators=terminators, **words)
    if kind == "tts" and macro.get("text"):
        voice = FLITE_VOICES.get(macro.get("voice") or "female", macro.get("voice") or "slt")
        return Tts(macro["text"], voice=voice, terminators=terminators)
    return None


class AudioMacro(StepModule):
    """Plays the macros in order until a terminator; then ``_``."""

    data_schema = AudioMacroSchema

    def steps(self, ctx: NodeContext) -> Steps:
        for n, macro in enumerate(ctx.data["macros"]):
            step = macro_step(macro, ctx.data)
            if step is None:
                ctx.note(f"macro {n} ({macro['macro']}) has nothing to play: skipped")
                continue
            result = yield step
            if result.hung_up:
                return Stop()
            if result.digits:
                ctx.note(f"{result.digits} pressed: the rest skipped")
                break
        return Continue()
