"""``probe_record``: a greeting a key skips, a recording a key ends, written with the step
helper, to test Play's and Record's results (what a voicemail box builds on).

The outcome is kept in custom channel variables, which the CDR shows: ``skipped_with``
(the key that cut the greeting), ``record_end`` (the terminator, or the status) and
``recorded_ms``. A caller who hangs up while recording ends the node (Stop) with the
recording still named; otherwise ``saved`` plays and the call continues to ``_``.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from callflow.context import NodeContext
from callflow.modules.fields import media_url
from callflow.outcomes import Continue, Stop
from callflow.steps import Answer, Play, Record, StepModule, Steps


class ProbeRecordSchema(Schema):
    """The prompts, where recordings go on the switch, and their longest length."""

    greeting = fields.String(required=True, validate=media_url)
    saved = fields.String(required=True, validate=media_url)
    directory = fields.String(required=True, validate=validate.Regexp(r"^/[\w./-]*$"))
    max_length = fields.Integer(load_default=60, validate=validate.Range(min=1, max=600))


class ProbeRecord(StepModule):
    """Greet (any key skips), record until ``#``, say it is saved."""

    data_schema = ProbeRecordSchema

    def steps(self, ctx: NodeContext) -> Steps:
        data = ctx.data
        yield Answer()
        heard = yield Play(data["greeting"], terminators="0123456789*#")
        if heard.digits:
            ctx.set_ccv("skipped_with", heard.digits)
        path = f"{data['directory']}/{ctx.call['call_id']}.wav"
        got = yield Record(path, max_length=data["max_length"], terminators="#")
        ctx.set_ccv("record_end", got.terminator or got.status)
        ctx.set_ccv("recorded_ms", str(got.details["duration_ms"]))
        ctx.set_ccv("recording", got.details["path"])
        if got.hung_up:
            return Stop()
        yield Play(data["saved"])
        return Continue()
