"""``ring_group_toggle``: log the caller in or out of a ring group (Kazoo's
cf_ring_group_toggle).

In callflow ``callflow_id``, every ``ring_group`` member that is the caller's user
(``Owner-ID``) gets ``disable_until``: 0 to log in, far in the future to log out (Kazoo's
values); ``ring_group`` leaves out members disabled until later than now. The caller hears
"logged in", "logged out" or "invalid" (not a member), then ``_``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.feature_codes import MAX_SAVE_TRIES, OWNER, prompts
from callflow.module import ModuleData
from callflow.modules.fields import document_id
from callflow.outcomes import Continue
from callflow.steps import ERROR, NOT_FOUND, Answer, Result, Step, StepModule, Steps
from kazoo_tasks.clock import now_gregorian
from kazoo_tasks.docstore import Conflict, NotFound, account_db

LOGGED_IN, LOGGED_OUT = 0, 66_269_664_000
"""Kazoo's ``disable_until`` values (gregorian seconds; the second is in the year 2100)."""


class RingGroupToggleSchema(ModuleData):
    """Kazoo's callflows.ring_group_toggle data."""

    action = fields.String(required=True, validate=validate.OneOf(["login", "logout"]))
    callflow_id = document_id("the callflow holding the ring group", required=True)


def _members(node: Any, user_id: str, until: int) -> int:
    """Set ``disable_until`` on the ring-group members that are ``user_id`` in the tree
    ``node``; how many."""
    if not isinstance(node, dict):
        return 0
    found = 0
    if node.get("module") == "ring_group":
        for member in (node.get("data") or {}).get("endpoints") or []:
            if member.get("endpoint_type") == "user" and member.get("id") == user_id:
                member["disable_until"] = until
                found += 1
    for child in (node.get("children") or {}).values():
        found += _members(child, user_id, until)
    return found


@dataclass(frozen=True)
class SetMembership(Step):
    """Set the user's ``disable_until`` in the callflow's ring groups and save it; the
    result's ``details["found"]``: how many members were the user."""

    callflow_id: str
    user_id: str
    until: int

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        db = account_db(str(ctx.call["account_id"]))
        store = ctx.documents()
        for _ in range(MAX_SAVE_TRIES):
            try:
                doc = dict(store.get(db, self.callflow_id))
            except NotFound:
                return Result(ERROR, response=NOT_FOUND)
            found = _members(doc.get("flow"), self.user_id, self.until) if self.user_id else 0
            if not found:
                return Result(details={"found": 0})
            doc["pvt_modified"] = now_gregorian()
            try:
                store.save(db, doc)
            except Conflict:
                continue
            return Result(details={"found": found})
        return Result(ERROR, response="CONFLICT")


class RingGroupToggle(StepModule):
    """Answers, changes the membership, says how it went."""

    data_schema = RingGroupToggleSchema

    def steps(self, ctx: NodeContext) -> Steps:
        yield Answer()
        login = ctx.data["action"] == "login"
        user_id = str(ctx.call["ccvs"].get(OWNER) or "")
        until = LOGGED_IN if login else LOGGED_OUT
        changed = yield SetMembership(ctx.data["callflow_id"], user_id, until)
        if changed.failed or not changed.details.get("found"):
            ctx.note(f"the caller ({user_id or 'no user'}) is no member there")
            yield from prompts("agent-invalid_choice")
        else:
            yield from prompts("agent-logged_in" if login else "agent-logged_out")
        return Continue()
