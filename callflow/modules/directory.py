"""``directory``: dial by name (Kazoo's cf_directory).

The ``directories`` document ``id`` says how to search: ``sort_by`` (last_name /
first_name), ``search_fields`` (first_name / last_name / both), ``min_dtmf`` (3),
``max_dtmf`` (0: up to 16), ``confirm_match`` (true). Its people are the account's users
whose ``directories`` map it to a callflow (``{"<directory id>": "<callflow id>"}``, as
Kazoo keeps them). The caller types the first letters of the name on the keypad (2 = ABC,
3 = DEF...); each match is said (text-to-speech of the full name) and 1 connects (a
branch to that user's callflow), 2 goes to the next match, 3 starts over. A single match
without ``confirm_match`` connects at once. Too few digits, no match or no more matches
start over; after three tries, or a missing directory, ``_``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callflow.context import NodeContext
from callflow.module import ModuleData
from callflow.modules.fields import document_id
from callflow.outcomes import Branch, Continue, Stop
from callflow.steps import Answer, Collect, ReadDocument, Result, Step, StepModule, Steps, Tts
from kazoo_tasks.docstore import account_db
from kazoo_tasks.docstore.soft_delete import is_deleted

KEYPAD = {
    letter: digit
    for digit, letters in {
        "2": "abc", "3": "def", "4": "ghi", "5": "jkl", "6": "mno", "7": "pqrs", "8": "tuv",
        "9": "wxyz",
    }.items()
    for letter in letters
}  # fmt: skip
CONNECT, NEXT, START_OVER = "1", "2", "3"
"""Kazoo's keys while a match is offered."""
TRIES = 3
MAX_DTMF = 16


class DirectorySchema(ModuleData):
    """Kazoo's callflows.directory data."""

    id = document_id("the directories document", required=True)


def keyed(name: str) -> str:
    """A name as keypad digits (letters only; others dropped)."""
    return "".join(KEYPAD.get(char, "") for char in name.lower())


@dataclass(frozen=True)
class DirectoryPeople(Step):
    """The users listed in directory ``directory_id`` (``details["people"]``: ``id``,
    ``first_name``, ``last_name``, ``callflow_id``)."""

    directory_id: str

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        db = account_db(str(ctx.call["account_id"]))
        people = []
        for user in ctx.documents().find(db, {"pvt_type": "user"}):
            listed = user.get("directories")
            callflow_id = listed.get(self.directory_id) if isinstance(listed, dict) else None
            if isinstance(callflow_id, str) and not is_deleted(user):
                people.append({
                    "id": user["_id"], "first_name": str(user.get("first_name") or ""),
                    "last_name": str(user.get("last_name") or ""), "callflow_id": callflow_id,
                })  # fmt: skip
        return Result(details={"people": people})


def matches(
    people: list[dict[str, str]], digits: str, fields: str, sort_by: str
) -> list[dict[str, str]]:
    """The people whose name (the ``fields`` searched) starts with ``digits``, sorted."""
    searched = ("first_name", "last_name") if fields == "both" else (fields,)
    found = [p for p in people if any(keyed(p[f]).startswith(digits) for f in searched)]
    other = "first_name" if sort_by == "last_name" else "last_name"
    return sorted(found, key=lambda p: (p[sort_by].lower(), p[other].lower(), p["id"]))


class Directory(StepModule):
    """Collects letters, offers the matches, branches to the one chosen."""

    data_schema = DirectorySchema

    def steps(self, ctx: NodeContext) -> Steps:
        read = yield ReadDocument(ctx.data["id"])
        if read.failed:
            ctx.note(f"directory {ctx.data['id']} not found")
            return Continue()
        directory = read.details["doc"]
        sort_by = directory.get("sort_by") or "last_name"
        fields = directory.get("search_fields") or "both"
        least = int(directory.get("min_dtmf") or 3)
        most = int(directory.get("max_dtmf") or 0) or MAX_DTMF
        confirm = directory.get("confirm_match", True) is not False
        listed = yield DirectoryPeople(ctx.data["id"])
        people = listed.details["people"]
        yield Answer()
        for _ in range(TRIES):
            got = yield Collect(max_digits=max(most, least), timeout=5, min_digits=1)
            if got.hung_up:
                return Stop()
            if len(got.digits) < least:
                ctx.note(f"{len(got.digits)} digits: at least {least}")
                continue
            found = matches(people, got.digits, fields, sort_by)
            if len(found) == 1 and not confirm:
                return Branch(found[0]["callflow_id"])
            for person in found:
                name = f"{person['first_name']} {person['last_name']}".strip()
                yield Tts(name)
                choice = yield Collect(max_digits=1, timeout=5)
                if choice.hung_up:
                    return Stop()
                if choice.digits == CONNECT:
                    return Branch(person["callflow_id"])
                if choice.digits == START_OVER:
                    break
            else:
                ctx.note(f"no (more) match for {got.digits}")
        return Continue()
