"""``record_caller``: record what the caller says (Kazoo's cf_record_caller).

The call is answered and the caller recorded (the switch's ``record``) until a key, the
end of ``time_limit`` (3600 s), or the caller hanging up; the recording becomes a
``call_recording`` document of the account (:mod:`callflow.call_recording`, ``origin``
``callflow : record_caller``), listed and served by ``/v2/accounts/{id}/recordings``, kept
when it holds audio. Then ``_`` (a caller who hung up stops the flow). Kazoo stores it
only to a ``url`` or the account's storage plan; here it always goes to the account's
database (``url`` and ``method`` are accepted and not used), as ``record_call``'s do.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from marshmallow import fields, validate

from callflow import call_recording as recordings
from callflow.context import NodeContext
from callflow.module import ModuleData
from callflow.outcomes import Continue, Stop
from callflow.recording_steps import RecordInto
from callflow.steps import Answer, Result, StepModule, Steps
from kazoo_tasks.events import CallEvent

ORIGIN = "callflow : record_caller"


class RecordCallerSchema(ModuleData):
    """Kazoo's callflows.record_caller data."""

    format = fields.String(load_default="mp3", validate=validate.OneOf(["mp3", "wav"]))
    time_limit = fields.Integer(load_default=3600, validate=validate.Range(min=1, max=10800))
    url = fields.String()
    method = fields.String(validate=validate.OneOf(["put", "post"]))


@dataclass(frozen=True)
class RecordCallerAudio(RecordInto):
    """Record the caller into a ``call_recording`` document; kept when it holds audio
    (``details["kept"]``)."""

    def attachment(self) -> str:
        return f"{self.doc_id}.{self.extension}"

    def document(self, ctx: NodeContext) -> dict[str, Any]:
        return recordings.new_recording(
            str(ctx.call["account_id"]),
            self.doc_id,
            ctx.call,
            name=self.attachment(),
            extension=self.extension,
            origin=ORIGIN,
            now=ctx.now(),
        )

    def on_event(self, ctx: NodeContext, run: dict[str, Any], event: CallEvent) -> Result | None:
        result = super().on_event(ctx, run, event)
        if result is None or result.failed:
            return result
        length = int(result.details.get("duration_ms", 0))
        account_id = str(ctx.call["account_id"])
        kept = recordings.settle(ctx.documents(), account_id, self.doc_id, length, 1, ctx.now())
        ctx.note(f"recording {self.doc_id} ({length} ms) {'kept' if kept else 'empty'}")
        return dataclasses.replace(result, details={**result.details, "kept": kept})


class RecordCaller(StepModule):
    """Answers, records the caller, then ``_``."""

    data_schema = RecordCallerSchema

    def steps(self, ctx: NodeContext) -> Steps:
        yield Answer()
        doc_id = recordings.recording_id(str(ctx.call["call_id"]), ctx.path)
        got = yield RecordCallerAudio(doc_id, ctx.data["time_limit"], ctx.data["format"])
        return Stop() if got.hung_up else Continue()
