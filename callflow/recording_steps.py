"""A step that records the caller into a document written pending first
(:mod:`callflow.recorded`): voicemail messages and greetings, ``record_caller``'s
recordings. Subclasses say what the document is and which attachment the audio becomes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callflow import recorded
from callflow.context import NodeContext
from callflow.steps import CommandStep, Record, Result
from kazoo_tasks.docstore import account_db
from kazoo_tasks.events import CallEvent

ANY_KEY = "0123456789*#"


@dataclass(frozen=True)
class RecordInto(CommandStep):
    """Record into a document written pending first (its id: ``doc_id``); the result's
    ``details``: ``doc_id``, ``duration_ms``."""

    doc_id: str
    max_length: int
    extension: str = "wav"
    terminators: str = ANY_KEY

    def document(self, ctx: NodeContext) -> dict[str, Any]:
        """The document (with its ``_id``) the recording becomes an attachment of."""
        raise NotImplementedError

    def attachment(self) -> str:
        """The attachment name of the audio."""
        raise NotImplementedError

    def _record(self, ctx: NodeContext) -> Record:
        target = ctx.recording_target(
            self.doc_id,
            attachment=self.attachment(),
            extension=self.extension,
            max_seconds=self.max_length,
        )
        return Record(target, max_length=self.max_length, terminators=self.terminators)

    def send(self, ctx: NodeContext, run: dict[str, Any]) -> None:
        db = account_db(str(ctx.call["account_id"]))
        recorded.create_pending(ctx.documents(), db, self.document(ctx))
        self._record(ctx).send(ctx, run)

    def completed(self, event: CallEvent, run: dict[str, Any]) -> Result:
        done = Record(self.doc_id).completed(event, run)  # its variables, read as Record does
        return Result(
            terminator=done.terminator,
            response=done.response,
            details={"doc_id": self.doc_id, "duration_ms": done.details["duration_ms"]},
        )
