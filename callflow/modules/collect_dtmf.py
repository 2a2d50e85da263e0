"""``collect_dtmf``: collect digits from the caller and keep them on the call under a
name (Kazoo's cf_collect_dtmf), for later nodes (callflow.dtmf_collections).

Digits already in the ``default`` collection (a previous ``collect_dtmf`` that named no
collection) count first, up to the first terminator, and that collection is emptied;
the switch collects the rest (``play_and_get_digits``, no prompt): up to ``max_digits``
in all, ``timeout`` ms for the first, ``interdigit_timeout`` ms between the next, a
terminator ends it. What was typed is stored, ``""`` when nothing came; then ``_`` (a
caller who hangs up meanwhile stops the flow).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.dtmf_collections import DEFAULT, DTMF_KEYS, collected, set_collected
from callflow.module import ModuleData
from callflow.outcomes import Continue, Stop
from callflow.steps import Answer, Collect, Result, Step, StepModule, Steps

MAX_MILLISECONDS = 3_600_000


def _milliseconds(default: int, description: str) -> fields.Integer:
    return fields.Integer(
        load_default=default,
        validate=validate.Range(min=1, max=MAX_MILLISECONDS),
        metadata={"description": description},
    )


class CollectDtmfSchema(ModuleData):
    """Kazoo's callflows.collect_dtmf data (times in milliseconds)."""

    collection_name = fields.String(
        load_default=DEFAULT,
        validate=validate.Length(min=1, max=128),
        metadata={"description": "the name the digits are kept under"},
    )
    max_digits = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=128),
        metadata={"description": "how many digits to collect"},
    )
    timeout = _milliseconds(5000, "how long to wait for the first digit")
    interdigit_timeout = _milliseconds(2000, "how long to wait for each next digit")
    terminator = fields.String(
        validate=validate.OneOf(DTMF_KEYS), metadata={"description": "the key that ends it"}
    )
    terminators = fields.List(
        fields.String(validate=validate.OneOf(DTMF_KEYS)),
        metadata={"description": "the keys that end it (default #)"},
    )


@dataclass(frozen=True)
class TakeDefaultCollection(Step):
    """The digits of the ``default`` collection, which it empties."""

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        digits = collected(ctx) or ""
        set_collected(ctx, DEFAULT, None)
        return Result(digits=digits)


def terminators_of(data: dict[str, Any]) -> str:
    """``terminator``, else ``terminators``, else ``#`` (Kazoo's order)."""
    if data.get("terminator"):
        return str(data["terminator"])
    if "terminators" in data:
        return "".join(sorted(set(data["terminators"])))
    return "#"


def before_terminator(digits: str, terminators: str) -> str:
    """``digits`` up to the first terminator."""
    ends = [digits.index(key) for key in terminators if key in digits]
    return digits[: min(ends)] if ends else digits


class CollectDtmf(StepModule):
    """Collects the digits, stores them, continues to ``_``."""

    data_schema = CollectDtmfSchema

    def steps(self, ctx: NodeContext) -> Steps:
        data = ctx.data
        name, wanted = data["collection_name"], data["max_digits"]
        terminators = terminators_of(data)
        yield Answer()
        earlier = yield TakeDefaultCollection()
        already = before_terminator(earlier.digits, terminators)
        if len(already) >= wanted:
            set_collected(ctx, name, already[:wanted])
            ctx.note(f'{name} = "{already[:wanted]}" (typed before)')
            return Continue()
        got = yield Collect(
            max_digits=wanted - len(already),
            timeout=data["timeout"] / 1000,
            interdigit_timeout=data["interdigit_timeout"] / 1000,
            terminators=terminators,
        )
        if got.hung_up:
            return Stop()
        if got.failed:  # the switch refused the collect: nothing is stored
            return Continue()
        set_collected(ctx, name, already + got.digits)
        ctx.note(f'{name} = "{already + got.digits}"')
        return Continue()
