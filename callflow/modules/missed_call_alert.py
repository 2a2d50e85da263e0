"""``missed_call_alert``: email the recipients when an inbound call ends unanswered
(Kazoo's cf_missed_call_alert). Only a call from outside the account counts, as in
Kazoo (no ``Authorizing-Type``, or ``resource`` / ``sys_info``: a carrier's call); a call
from one of the account's phones sets nothing. The email leaves when the call has ended
(``ctx.at_call_end``), from a task off the call (:mod:`callflow.notify_email`), if the
call was never answered. Children: ``_``, at once."""

from __future__ import annotations

from callflow.context import NodeContext
from callflow.module import CallflowModule, ModuleData
from callflow.modules.fields import recipients
from callflow.notify_email import EMAIL_TASK, call_email
from callflow.outcomes import Continue, Outcome

INBOUND = frozenset({"", "resource", "sys_info"})
"""``Authorizing-Type`` values of calls that come from outside the account."""


class MissedCallAlertSchema(ModuleData):
    """Kazoo's callflows.missed_call_alert data."""

    recipients = recipients(required=True)


class MissedCallAlert(CallflowModule):
    """Asks for the alert at the call's end (inbound calls only) and continues."""

    data_schema = MissedCallAlertSchema

    def start(self, ctx: NodeContext) -> Outcome:
        call = ctx.call
        kind = str(call["ccvs"].get("Authorizing-Type") or "")
        if kind not in INBOUND:
            ctx.note(f"not an inbound call ({kind}): no alert")
            return Continue()
        name, number = call.get("caller_id_name") or "", call.get("caller_id_number") or ""
        email = call_email(
            call,
            f"Missed call from {name} ({number})".replace(" ()", ""),
            ctx.data["recipients"],
            ["You missed a call."],
            ctx.now(),
        )
        ctx.at_call_end(EMAIL_TASK, [str(call["account_id"]), {**email, "unanswered_only": True}])
        ctx.note("missed call alert at the call's end, if unanswered")
        return Continue()
