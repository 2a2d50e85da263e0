"""Steps the feature-code modules share (``call_forward``, ``do_not_disturb``...): find the
document a feature code changes, and change one section of it.

Both are steps (:mod:`callflow.steps`), so a module that replays sees the document as it
was read and writes once.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from callflow.context import NodeContext
from callflow.prompts import prompt
from callflow.steps import ERROR, NOT_FOUND, Play, Result, Step
from kazoo_tasks.clock import now_gregorian
from kazoo_tasks.docstore import Conflict, NotFound, account_db

FEATURE_DOC_TYPES = ("user", "device")
MAX_SAVE_TRIES = 5
CONFLICT = "CONFLICT"
"""``response`` of an :class:`UpdateSection` that kept meeting newer revisions."""


@dataclass(frozen=True)
class CallerDocument(Step):
    """The user or device document a feature code acts on: ``doc_id`` when it names one
    of the account, else the caller's owner (``Owner-ID``), else the calling device
    (``Authorizing-ID``); the result's ``details["doc"]``, or ERROR :data:`NOT_FOUND`."""

    doc_id: str = ""

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        ccvs = ctx.call["ccvs"]
        for candidate in (self.doc_id, ccvs.get("Owner-ID"), ccvs.get("Authorizing-ID")):
            doc = ctx.document(candidate) if candidate else None
            if doc is not None and doc.get("pvt_type") in FEATURE_DOC_TYPES:
                return Result(details={"doc": dict(doc)})
        return Result(ERROR, response=NOT_FOUND)


@dataclass(frozen=True)
class UpdateSection(Step):
    """Set ``values`` (name, value pairs) in section ``key`` of document ``doc_id`` of the
    account (read, change, save; again on a conflict): done, or ERROR with
    :data:`NOT_FOUND` / :data:`CONFLICT`."""

    doc_id: str
    key: str
    values: tuple[tuple[str, Any], ...]

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        db = account_db(str(ctx.call["account_id"]))
        store = ctx.documents()
        for _ in range(MAX_SAVE_TRIES):
            try:
                doc = dict(store.get(db, self.doc_id))
            except NotFound:
                return Result(ERROR, response=NOT_FOUND)
            section = doc.get(self.key)
            doc[self.key] = {**(section if isinstance(section, dict) else {}), **dict(self.values)}
            doc["pvt_modified"] = now_gregorian()
            try:
                store.save(db, doc)
            except Conflict:
                continue
            ctx.note(f"{self.key} of {self.doc_id}: {dict(self.values)}")
            return Result()
        return Result(ERROR, response=CONFLICT)


def section(doc: dict[str, Any], key: str) -> dict[str, Any]:
    """Section ``key`` of a document (``{}`` when absent or not an object)."""
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


def prompts(*names: str) -> Generator[Step, Result, None]:
    """Plays Kazoo's system prompts ``names`` (those with a sound here): ``yield from`` it
    in a step module."""
    for media in map(prompt, names):
        if media:
            yield Play(media)
