"""``page_group``: page users, devices and groups at once (Kazoo's cf_page_group).

The members' devices (a user's, a group's members'; each once, never the calling phone)
are called with auto-answer (``sip_invite_params=intercom=true``, ``alert_info=intercom``
and the custom channel variables ``Auto-Answer`` and ``Auto-Answer-Suppress-Notify``:
``true``, or ``false`` with ``barge_calls``) and joined to the caller in a page: the
switch's mod_conference with an auto-outcall list, as Kazoo's ecallmgr builds its ``page``
command. ``audio`` ``one-way`` (the default) joins them muted; ``timeout`` is how long
they ring (FreeSWITCH takes 10-500 s, else 60: Kazoo's default 5 gives 60). The caller's
``api_hangup_hook`` kicks every member when the caller hangs up, so the page ends with
the caller. Then the flow stops; with no device to page, it goes on to ``_``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from marshmallow import fields, validate

from callflow.approvals import calling_device
from callflow.caller_id import presented
from callflow.context import NodeContext
from callflow.endpoints import Endpoint, text_value
from callflow.legs import Target, endpoint_reader, resolve
from callflow.module import ModuleData
from callflow.modules.ring_group import MemberSchema
from callflow.outcomes import Continue, Stop
from callflow.steps import ERROR, NOT_FOUND, CommandStep, Result, StepModule, Steps

PROFILE = "page"
"""The conference profile of a page (Kazoo's)."""
AUTO_ANSWER = "sip_invite_params=intercom=true;alert_info=intercom"
"""What makes a phone answer by itself (Kazoo's page prefix)."""


class PageGroupSchema(ModuleData):
    """Kazoo's callflows.page_group data."""

    endpoints = fields.List(
        fields.Nested(MemberSchema), required=True, validate=validate.Length(min=1)
    )
    audio = fields.String(load_default="one-way", validate=validate.OneOf(["one-way", "two-way"]))
    barge_calls = fields.Boolean(load_default=False)
    timeout = fields.Integer(load_default=5, validate=validate.Range(min=0, max=3600))


def page_name(call_id: str) -> str:
    """The page's room on the switch (one per call)."""
    return "page_" + re.sub(r"[^A-Za-z0-9_-]", "", call_id)


def auto_answered(leg: Endpoint, barge: bool) -> str:
    """``leg``'s dial string with Kazoo's auto-answer prefix."""
    suppress = "false" if barge else "true"
    prefix = f"{{^^;{AUTO_ANSWER};ecallmgr_Auto-Answer-Suppress-Notify={suppress}}}"
    variables = (*leg.variables, ("ecallmgr_Auto-Answer", "true"))
    return prefix + dataclasses.replace(leg, variables=variables).dial()


@dataclass(frozen=True)
class Page(CommandStep):
    """Page ``targets`` (see the module docstring); done when the caller leaves the page,
    ERROR :data:`NOT_FOUND` when no device is there to page."""

    targets: tuple[Target, ...]
    timeout: int
    two_way: bool
    barge: bool

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        result = super().start(ctx, run)
        if result is not None and not run.get("paged"):
            return Result(ERROR, response=NOT_FOUND)
        return result

    def send(self, ctx: NodeContext, run: dict[str, Any]) -> None:
        me = calling_device(ctx)
        legs = [
            leg
            for leg in resolve(endpoint_reader(ctx), self.targets)
            if leg.target is not None and leg.endpoint_id != me
        ]
        if not legs:
            return
        run["paged"] = sorted({leg.endpoint_id for leg in legs})
        page = page_name(str(ctx.call["call_id"]))
        name, number = (text_value(value) for value in presented(ctx.call))
        settings = [
            f"api_hangup_hook=conference {page} kick all",
            f"conference_auto_outcall_profile={PROFILE}",
            "conference_auto_outcall_skip_member_beep=true",
            "conference_auto_outcall_delimiter=|",
            *([] if self.two_way else ["conference_utils_auto_outcall_flags=mute"]),
            f"conference_auto_outcall_caller_id_name={name}",
            f"conference_auto_outcall_caller_id_number={number}",
            f"conference_auto_outcall_timeout={self.timeout}",
        ]
        for setting in settings:
            ctx.execute("set", setting)
        ctx.execute(
            "conference_set_auto_outcall", "|".join(auto_answered(leg, self.barge) for leg in legs)
        )
        ctx.execute("conference", f"{page}@{PROFILE}")


class PageGroup(StepModule):
    """Pages the members, then stops (see the module docstring)."""

    data_schema = PageGroupSchema

    def steps(self, ctx: NodeContext) -> Steps:
        targets = tuple(
            (m["endpoint_type"], m["id"], m["delay"] or None, m["timeout"] or None)
            for m in ctx.data["endpoints"]
        )
        two_way = ctx.data["audio"] == "two-way"
        paged = yield Page(targets, ctx.data["timeout"], two_way, ctx.data["barge_calls"])
        if paged.failed:
            ctx.note("nobody to page")
            return Continue()
        ctx.note("page over")
        return Stop()
