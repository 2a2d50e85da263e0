"""``notification``: email a custom notification from a flow (Kazoo's cf_notification),
now (``send_at`` ``callflow_exec``) or when the call has ended (``channel_destroy``, the
default), from a task off the call (:mod:`callflow.notify_email`). Kazoo renders the
account's teletype template ``template_id``; there are no templates here: the email's
subject names the template and its body holds ``comments`` and the call's facts. As in
Kazoo, nothing is sent without a ``template_id``. ``notification_media`` ``sms`` is not
sent (no SMS gateway); email is. Children: ``_``, at once."""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.module import CallflowModule, ModuleData
from callflow.modules.fields import plain_text, recipients
from callflow.notify_email import EMAIL_TASK, call_email
from callflow.outcomes import Continue, Outcome

CALLFLOW_EXEC, CHANNEL_DESTROY = "callflow_exec", "channel_destroy"


class NotificationSchema(ModuleData):
    """Kazoo's callflows.notification data."""

    recipients = recipients(load_default=list)
    send_at = fields.String(
        load_default=CHANNEL_DESTROY, validate=validate.OneOf([CALLFLOW_EXEC, CHANNEL_DESTROY])
    )
    template_id = fields.String(validate=[plain_text, validate.Length(max=128)])
    comments = fields.String(validate=validate.Length(max=4096))
    notification_media = fields.List(fields.String(validate=validate.OneOf(["email", "sms"])))


class Notification(CallflowModule):
    """Sends (or asks for at the call's end) the email, then continues."""

    data_schema = NotificationSchema

    def start(self, ctx: NodeContext) -> Outcome:
        data = ctx.data
        template = data.get("template_id")
        if not template:
            ctx.note("no template_id: nothing sent")
            return Continue()
        media = data.get("notification_media")
        if media is not None and "email" not in media:
            ctx.note(f"only {media} asked: not sent (email is the only medium here)")
            return Continue()
        call = ctx.call
        name, number = call.get("caller_id_name") or "", call.get("caller_id_number") or ""
        lines = [data["comments"], ""] if data.get("comments") else []
        email = call_email(
            call, f"{template}: call from {name} ({number})", data["recipients"], lines, ctx.now()
        )
        args = [str(call["account_id"]), email]
        if data["send_at"] == CALLFLOW_EXEC:
            ctx.send_task(EMAIL_TASK, args)
        else:
            ctx.at_call_end(EMAIL_TASK, args)
        ctx.note(f"notification {template} ({data['send_at']})")
        return Continue()
