"""Steps the feature-code modules share (``call_forward``, ``do_not_disturb``...): find the
document a feature code changes, and change one section of it.

Both are steps (:mod:`callflow.steps`), so a module that replays sees the document as it
was read and writes once.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, ClassVar

from callflow.context import NodeContext
from callflow.outcomes import Continue, Stop
from callflow.prompts import prompt
from callflow.steps import ERROR, NOT_FOUND, Answer, Play, Result, Step, StepModule, Steps
from kazoo_tasks.clock import now_gregorian
from kazoo_tasks.docstore import Conflict, NotFound, account_db

FEATURE_DOC_TYPES = ("user", "device")
MAX_SAVE_TRIES = 5
CONFLICT = "CONFLICT"
"""``response`` of an :class:`UpdateSection` that kept meeting newer revisions."""


OWNER, DEVICE = "Owner-ID", "Authorizing-ID"
"""The call's custom channel variables naming the caller's user and calling device."""


@dataclass(frozen=True)
class CallerDocument(Step):
    """The user or device document a feature code acts on: ``doc_id`` when it names one
    of the account, else the first of ``sources`` (custom channel variables: the caller's
    owner, then the calling device) that does; the result's ``details["doc"]``, or ERROR
    :data:`NOT_FOUND`."""

    doc_id: str = ""
    sources: tuple[str, ...] = (OWNER, DEVICE)

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        ccvs = ctx.call["ccvs"]
        for candidate in (self.doc_id, *(ccvs.get(name) for name in self.sources)):
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


class SwitchFeature(StepModule):
    """A feature code that turns ``<key>.enabled`` of the caller's document on or off
    (``action``: activate, deactivate, toggle), then says so: do-not-disturb, call
    waiting. Subclasses name the section, its default, the prompts and where the document
    comes from (:meth:`document`)."""

    key: ClassVar[str]
    default: ClassVar[bool] = False
    on_prompt: ClassVar[str]
    off_prompt: ClassVar[str]
    unavailable_prompt: ClassVar[str]

    def document(self, ctx: NodeContext) -> CallerDocument:
        """The step that finds the document to change."""
        raise NotImplementedError

    def steps(self, ctx: NodeContext) -> Steps:
        found = yield self.document(ctx)
        if found.failed:
            ctx.note("no user or device to change")
            yield from prompts(self.unavailable_prompt)
            return Stop()
        doc = found.details["doc"]
        enabled = section(doc, self.key).get("enabled", self.default) is True
        yield Answer()
        action = ctx.data.get("action")
        if action == "toggle":
            action = "deactivate" if enabled else "activate"
        if action not in ("activate", "deactivate"):
            ctx.note(f"action {action!r}: nothing changed")
            yield from prompts(self.unavailable_prompt)
            return Continue()
        wanted = action == "activate"
        if wanted != enabled:
            saved = yield UpdateSection(doc["_id"], self.key, (("enabled", wanted),))
            if saved.failed:
                return Continue()
        yield from prompts(self.on_prompt if wanted else self.off_prompt)
        return Continue()
