"""The voicemail module's own steps (:mod:`callflow.steps`): reading and writing the box's
documents, recording into them and playing messages.

A step module may not read documents between its steps (a replay must decide the same),
so every read is a step whose result carries what was read, and every write is a step
too. Writes are idempotent (deterministic ids, :mod:`callflow.recorded`), since a step
runs again when its worker dies before the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callflow import recorded
from callflow.context import NodeContext
from callflow.media import AUDIO_ATTACHMENT as MEDIA_AUDIO
from callflow.media import MediaNotFound
from callflow.recording_steps import RecordInto
from callflow.steps import Play, Result, Step
from callflow.voicemail import mailbox, messages
from kazoo_tasks.clock import to_gregorian
from kazoo_tasks.docstore import NotFound, account_db
from kazoo_tasks.docstore.private_fields import private_fields
from kazoo_tasks.events import CallEvent


def _account(ctx: NodeContext) -> str:
    return str(ctx.call["account_id"])


class _Instant(Step):
    """A step done at once by the worker (documents), with what it found as details."""

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        return Result(details=self.apply(ctx))

    def apply(self, ctx: NodeContext) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True)
class LoadBox(_Instant):
    """Find the box a node means and read it (:func:`callflow.voicemail.mailbox.load_box`);
    ``details`` are the box's facts (``exists`` False when none)."""

    box_id: str | None = None
    number: str | None = None
    owner_id: str | None = None
    single_mailbox_login: bool = False
    caller_number: str | None = None
    max_message_length: int | None = None

    def apply(self, ctx: NodeContext) -> dict[str, Any]:
        store = ctx.documents()
        found = mailbox.find_box_id(
            store,
            _account(ctx),
            box_id=self.box_id,
            number=self.number,
            owner_id=self.owner_id,
            single_mailbox_login=self.single_mailbox_login,
            caller_number=self.caller_number,
        )
        if found is None:
            return {"exists": False, "id": None}
        return mailbox.load_box(store, _account(ctx), found, self.max_message_length)


@dataclass(frozen=True)
class ListMessages(_Instant):
    """The ids of the box's messages in ``folder``, in the order they play."""

    box_id: str
    folder: str
    oldest_first: bool = False

    def apply(self, ctx: NodeContext) -> dict[str, Any]:
        found = messages.box_messages(ctx.documents(), _account(ctx), self.box_id)
        ids = [m["media_id"] for m in found if m.get("folder") == self.folder]
        return {"messages": list(reversed(ids)) if self.oldest_first else ids}


@dataclass(frozen=True)
class SetFolder(_Instant):
    """Move a message to ``folder`` (saved, deleted...)."""

    message_id: str
    folder: str

    def apply(self, ctx: NodeContext) -> dict[str, Any]:
        messages.set_folder(ctx.documents(), _account(ctx), self.message_id, self.folder, ctx.now())
        return {}


@dataclass(frozen=True)
class Discard(_Instant):
    """Drop a recorded document (a message re-recorded, a greeting not saved)."""

    doc_id: str
    reason: str

    def apply(self, ctx: NodeContext) -> dict[str, Any]:
        recorded.discard(
            ctx.documents(), account_db(_account(ctx)), self.doc_id, self.reason, ctx.now()
        )
        return {}


@dataclass(frozen=True)
class UpdateBox(_Instant):
    """Set fields of a document of the account: the box (``pin``, ``is_setup``,
    ``media``) or its owner (``media``); ``keep`` first keeps a recorded greeting."""

    doc_id: str
    field: str
    value: Any
    keep: str | None = None

    def apply(self, ctx: NodeContext) -> dict[str, Any]:
        store, db, now = ctx.documents(), account_db(_account(ctx)), ctx.now()
        if self.keep:
            recorded.keep(store, db, self.keep, {}, now)
        if self.field == "media":
            doc = store.get(db, self.doc_id)
            media = doc.get("media") if isinstance(doc.get("media"), dict) else {}
            value = {k: v for k, v in {**media, **self.value}.items() if v is not None}
        else:
            value = self.value
        recorded.update(store, db, self.doc_id, {self.field: value}, now)
        return {}


@dataclass(frozen=True)
class RecordMessage(RecordInto):
    """Record a message for box ``box_id``; when the recording ends, also when the caller
    hung up during it, the message is kept (folder ``new``) if it lasts
    ``min_ms`` or more, else discarded. ``details``: ``doc_id``, ``duration_ms``,
    ``kept``."""

    box_id: str = ""
    box_number: str = ""
    min_ms: int = mailbox.MIN_MESSAGE_MS

    def attachment(self) -> str:
        return messages.AUDIO_ATTACHMENT

    def document(self, ctx: NodeContext) -> dict[str, Any]:
        call = ctx.call
        caller = {
            "call_id": call["call_id"],
            "caller_id_name": call.get("caller_id_name", ""),
            "caller_id_number": call.get("caller_id_number", ""),
            "from": call.get("from", ""),
            "to": call.get("to", ""),
        }
        box = {"id": self.box_id, "mailbox": self.box_number}
        return messages.new_message(
            _account(ctx), box, self.doc_id, caller, ctx.now(), self.extension
        )

    def on_event(self, ctx: NodeContext, run: dict[str, Any], event: CallEvent) -> Result | None:
        result = super().on_event(ctx, run, event)
        if result is None or result.failed:
            return result
        store, db = ctx.documents(), account_db(_account(ctx))
        length = int(result.details.get("duration_ms", 0))
        kept = length >= self.min_ms
        if kept:
            recorded.keep(store, db, self.doc_id, messages.kept_fields(length), ctx.now())
        else:
            recorded.discard(store, db, self.doc_id, "too_short", ctx.now())
        ctx.note(f"message {self.doc_id} ({length} ms) {'kept' if kept else 'too short'}")
        return Result(
            result.status,
            terminator=result.terminator,
            response=result.response,
            details={**result.details, "kept": kept},
        )


@dataclass(frozen=True)
class RecordGreeting(RecordInto):
    """Record a greeting or a name into a media document of the box (Kazoo's
    "mailbox <n> unavailable greeting"); it stays pending until :class:`UpdateBox` keeps
    it."""

    box_id: str = ""
    box_number: str = ""
    owner_id: str | None = None
    what: str = "unavailable greeting"

    def attachment(self) -> str:
        return MEDIA_AUDIO

    def document(self, ctx: NodeContext) -> dict[str, Any]:
        account_id = _account(ctx)
        when = to_gregorian(ctx.now())
        doc: dict[str, Any] = {
            "_id": self.doc_id,
            **private_fields("media", account_id, when),
            "name": f"mailbox {self.box_number} {self.what}",
            "description": "voicemail recorded/prompt media",
            "source_type": "voicemail",
            "source_id": self.box_id,
            "media_source": "recording",
            "streamable": True,
        }
        if self.owner_id:
            doc["owner_id"] = self.owner_id
        return doc


@dataclass(frozen=True)
class PlayMessage(Play):
    """Play a message's audio; ``media_url`` is the message's id. A key of
    ``terminators`` stops it (the result's ``digits``)."""

    def media(self, ctx: NodeContext) -> None:
        store, account_id = ctx.documents(), _account(ctx)
        try:
            doc = store.get(account_db(account_id), self.media_url)
        except NotFound:
            raise MediaNotFound(f"message {self.media_url} is gone") from None
        url = messages.audio_url(ctx.settings, doc, account_id, ctx.now())
        if not url:
            raise MediaNotFound(f"message {self.media_url} has no audio yet")
        ctx.execute("playback", url)
