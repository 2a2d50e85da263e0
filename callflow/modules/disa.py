"""``disa``: Direct Inward System Access, a caller from outside dials out as the account
(Kazoo's cf_disa).

The call is answered; with a ``pin``, the caller types it (``disa-enter_pin``; a wrong one
plays ``disa-invalid_pin``; after ``retries`` wrong ones ``disa-retries_exceeded`` and the
call ends). Then dial tone (``preconnect_audio`` ``dialtone``; ``ringing``: ring-back
``ring_repeat_count`` times) while the caller types the number (up to ``max_digits``,
``#`` ends it), which is normalized to E.164 and routed as a number of the account (its
callflows' numbers and patterns, then ``no_match``, which usually goes to ``resources``):
the call branches there asking for that number, with the account's external caller id
(``use_account_caller_id``, the default) or the caller's own. A number nothing routes plays
``disa-invalid_extension`` and the caller tries again; after ``retries``: ``_``.
"""

from __future__ import annotations

from marshmallow import fields, validate

from callflow import carriers
from callflow.context import NodeContext
from callflow.hunting import find_route
from callflow.module import ModuleData
from callflow.outcomes import Continue, Stop
from callflow.prompts import prompt
from callflow.steps import Answer, Collect, Play, StepModule, Steps

DIALTONE = "tone_stream://%(10000,0,350,440)"
RINGING = "tone_stream://%(2000,4000,440,480)"
PIN_LENGTH = 10
"""Kazoo's ``default_pin_length``: digits collected for a PIN (more if the PIN is longer)."""
COLLECT_TIMEOUT = 5.0
"""Kazoo's default collect timeout (seconds before the first digit)."""


class DisaSchema(ModuleData):
    """Kazoo's callflows.disa data."""

    pin = fields.String(load_default="", validate=validate.Regexp(r"^[0-9*]{0,32}$"))
    retries = fields.Integer(load_default=3, validate=validate.Range(min=1, max=10))
    interdigit = fields.Integer(
        load_default=2000, validate=validate.Range(min=100, max=30000),
        metadata={"description": "ms between digits"},
    )  # fmt: skip
    max_digits = fields.Integer(load_default=15, validate=validate.Range(min=1, max=32))
    preconnect_audio = fields.String(
        load_default="dialtone", validate=validate.OneOf(["dialtone", "ringing"])
    )
    ring_repeat_count = fields.Integer(load_default=1, validate=validate.Range(min=1, max=20))
    use_account_caller_id = fields.Boolean(load_default=True)
    enforce_call_restriction = fields.Boolean(load_default=False)


class Disa(StepModule):
    """PIN, dial tone, a number, then the account's routing for it."""

    data_schema = DisaSchema

    def steps(self, ctx: NodeContext) -> Steps:
        data = ctx.data
        interdigit = data["interdigit"] / 1000
        yield Answer()
        pin = data["pin"]
        if pin:
            for _ in range(data["retries"]):
                got = yield Collect(
                    max_digits=max(PIN_LENGTH, len(pin)), timeout=COLLECT_TIMEOUT,
                    interdigit_timeout=interdigit, prompt=prompt("disa-enter_pin"), secret=True,
                )  # fmt: skip
                if got.hung_up:
                    return Stop()
                if got.digits == pin:
                    break
                yield Play(str(prompt("disa-invalid_pin")))
            else:
                yield Play(str(prompt("disa-retries_exceeded")))
                return Stop()
        tone = DIALTONE
        if data["preconnect_audio"] == "ringing":
            tone = f"{RINGING};loops={data['ring_repeat_count']}"
        for _ in range(data["retries"]):
            got = yield Collect(
                max_digits=data["max_digits"], timeout=COLLECT_TIMEOUT,
                interdigit_timeout=interdigit, prompt=tone,
            )  # fmt: skip
            if got.hung_up:
                return Stop()
            number = carriers.to_e164(got.digits) if got.digits else ""
            branch = find_route(ctx, number, allow_no_match=True) if number else None
            if branch is not None:
                ctx.note(f"dialing {number}")
                self._caller_id(ctx)
                ctx.set_request(number)
                return branch
            yield Play(str(prompt("disa-invalid_extension")))
        return Continue()

    @staticmethod
    def _caller_id(ctx: NodeContext) -> None:
        """The account's external caller id (Kazoo's default), else the caller's own."""
        if not ctx.data["use_account_caller_id"]:
            return
        account = ctx.document(str(ctx.call["account_id"])) or {}
        external = (account.get("caller_id") or {}).get("external") or {}
        name = external.get("name") or ctx.call.get("caller_id_name") or ""
        number = external.get("number") or ctx.call.get("caller_id_number") or ""
        ctx.set_caller_id(str(name), str(number))
