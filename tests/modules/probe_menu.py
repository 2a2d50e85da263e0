"""``probe_menu``: a small IVR written with the step helper, to test the helper.

Answers, then up to ``retries`` times: plays ``prompt`` while collecting one digit. A digit
with a child goes there. A digit without one plays ``invalid`` and tries again. No digit
at all: a last ``grace`` seconds on the engine's timer, where any key counts; still
nothing goes to ``timeout``. Retries used up: ``max_retries``. A caller who hangs up
during a step ends the node (Stop).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from callflow.context import NodeContext
from callflow.modules.fields import media_url
from callflow.outcomes import Continue, Stop
from callflow.steps import Answer, Collect, Play, StepModule, Steps, Wait


class ProbeMenuSchema(Schema):
    """The prompts, and how patient the menu is."""

    prompt = fields.String(required=True, validate=media_url)
    invalid = fields.String(required=True, validate=media_url)
    retries = fields.Integer(load_default=2, validate=validate.Range(min=1, max=5))
    timeout = fields.Float(load_default=2.0, validate=validate.Range(min=0.1, max=30))
    grace = fields.Float(load_default=1.0, validate=validate.Range(min=0.1, max=30))


class ProbeMenu(StepModule):
    """Play, collect, branch; retry on a wrong key; a grace period on silence."""

    data_schema = ProbeMenuSchema

    def steps(self, ctx: NodeContext) -> Steps:
        data = ctx.data
        yield Answer()
        for _ in range(data["retries"]):
            got = yield Collect(prompt=data["prompt"], timeout=data["timeout"])
            if got.timed_out:
                got = yield Wait(data["grace"])
                if got.timed_out:
                    return Continue("timeout")
            if got.hung_up:
                return Stop()
            if ctx.has_child(got.digits):
                return Continue(got.digits)
            yield Play(data["invalid"])
        return Continue("max_retries")
