"""``dynamic_cid``: the caller picks the caller id of this call (Kazoo's cf_dynamic_cid).

* ``static``: ``caller_id.name`` / ``number`` of the node;
* ``manual`` (also what any other action does without a capture group): the caller types
  the number (``media_id`` prompt; ``max_digits``, ``min_digits`` 10, ``whitelist_regex``
  ``\\d+``, ``interdigit_timeout`` s); a good one is confirmed with a short tone, a bad
  one or none keeps the caller's own number;
* ``list`` / ``lists``: the first digits of the capture group (the named group
  ``idx_name``, or each entry's ``capture_group_length``, 2 by default) select an entry of
  list ``id`` (``list_entry`` documents of the account with its ``list_id``:
  ``capture_group_key``, ``name``, ``number``); the rest of the capture group is dialed:
  routed to the account's ``no_match`` callflow (any callflow with
  ``permit_custom_callflow``) as a branch.

The caller id set is what the call presents from then on (and kvs ``dynamic_cid``);
``static`` and ``manual`` then go to ``_``; a list whose number routes nowhere goes to
``_`` too. A caller who hangs up while typing stops the flow. ``enforce_call_restriction``
is accepted, not used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import fields, validate

from callflow import hunting
from callflow.context import NodeContext
from callflow.match_lists import entries_of
from callflow.module import ModuleData
from callflow.modules.fields import document_id, media_url, regular_expression, text
from callflow.outcomes import Continue, Outcome, Stop
from callflow.steps import Answer, Collect, Play, Result, Step, StepModule, Steps

ACCEPT_TONE = "tone_stream://%(250,50,440)"
"""Kazoo's default ``accept_prompt``."""
DEFAULT_KEY_LENGTH = 2


class CallerIdSchema(ModuleData):
    name = text("Caller ID name")
    number = text("Caller ID number")


class DynamicCidSchema(ModuleData):
    """Kazoo's callflows.dynamic_cid data."""

    action = fields.String(validate=validate.OneOf(["list", "lists", "manual", "static"]))
    caller_id = fields.Nested(CallerIdSchema)
    id = document_id("the list whose entries hold the caller ids")
    idx_name = fields.String(validate=validate.Regexp(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"))
    media_id = fields.String(validate=media_url)
    max_digits = fields.Integer(load_default=10, validate=validate.Range(min=1, max=32))
    min_digits = fields.Integer(load_default=10, validate=validate.Range(min=0, max=32))
    whitelist_regex = fields.String(load_default=r"\d+", validate=regular_expression)
    interdigit_timeout = fields.Integer(load_default=2, validate=validate.Range(min=1, max=60))
    permit_custom_callflow = fields.Boolean(load_default=False)
    enforce_call_restriction = fields.Boolean(load_default=True)


@dataclass(frozen=True)
class ListEntries(Step):
    """The ``list_entry`` documents of list ``list_id`` (``details["entries"]``)."""

    list_id: str

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        entries = entries_of(ctx.documents(), str(ctx.call["account_id"]), self.list_id)
        return Result(details={"entries": entries})


class DynamicCid(StepModule):
    """Sets the caller id the action says, then continues or routes the rest."""

    data_schema = DynamicCidSchema

    def steps(self, ctx: NodeContext) -> Steps:
        data, call = ctx.data, ctx.call
        capture = str(call.get("capture_group") or "")
        action = data.get("action")
        if action == "static":
            given = data.get("caller_id") or {}
            self._set(ctx, given.get("name"), given.get("number"))
            return Continue()
        if action in ("list", "lists") and capture:
            return (yield from self._from_list(ctx, capture))
        yield Answer()
        got = yield Collect(
            max_digits=data["max_digits"], timeout=5, terminators="#",
            interdigit_timeout=data["interdigit_timeout"], prompt=data.get("media_id"),
        )  # fmt: skip
        if got.hung_up:
            return Stop()
        digits = got.digits
        if len(digits) >= data["min_digits"] and hunting.search(data["whitelist_regex"], digits):
            yield Play(ACCEPT_TONE)
            self._set(ctx, None, digits)
        else:
            ctx.note(f"caller id {digits!r} refused: the caller's own is kept")
        return Continue()

    def _from_list(self, ctx: NodeContext, capture: str) -> Steps:
        data = ctx.data
        listed = yield ListEntries(data.get("id") or "")
        named = dict(ctx.call.get("capture_groups") or {})
        for entry in listed.details["entries"]:
            if data.get("idx_name") in named:
                key, destination = named[data["idx_name"]], capture
            else:
                length = _length(entry.get("capture_group_length"))
                key, destination = capture[:length], capture[length:]
            if key and entry.get("capture_group_key") == key:
                self._set(ctx, entry.get("name"), entry.get("number"))
                return self._route(ctx, destination)
        ctx.note(f"no entry of list {data.get('id')!r} for {capture!r}")
        return Continue()

    @staticmethod
    def _route(ctx: NodeContext, destination: str) -> Outcome:
        branch = hunting.find_route(
            ctx,
            destination,
            allow_no_match=True,
            only_no_match=not ctx.data["permit_custom_callflow"],
        )
        if branch is None:
            ctx.note(f"{destination!r} routes nowhere")
            return Continue()
        return branch

    @staticmethod
    def _set(ctx: NodeContext, name: Any, number: Any) -> None:
        name = str(name or ctx.call.get("caller_id_name") or "")
        number = str(number or ctx.call.get("caller_id_number") or "")
        ctx.set_caller_id(name, number)
        ctx.kvs_store("dynamic_cid", {"name": name, "number": number})
        ctx.note(f"caller id {name} <{number}>")


def _length(value: Any) -> int:
    return value if isinstance(value, int) and value > 0 else DEFAULT_KEY_LENGTH
