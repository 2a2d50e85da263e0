"""A webhook (Kazoo's ``webhooks`` schema): an HTTP callback on account events."""

from __future__ import annotations

from kazoo_tasks.url_guard import allowed_url
from kazoo_tasks.webhooks import KAZOO_HOOKS
from schemas.base import DocumentSchema, boolean, integer, obj, string


class WebhookSchema(DocumentSchema):
    pvt_type = "webhook"

    name = string("A friendly name for the webhook", required=True, min_length=1)
    uri = string(
        "The URL called (a host in a blacklisted network is refused: KAZOO_PIVOT_* settings)",
        required=True,
        min_length=1,
        pattern=r"^https?://",
        extra=[allowed_url],
    )
    hook = string(
        "The event that fires the hook (channel_create, channel_answer, channel_bridge, "
        "channel_destroy, object, all; Kazoo's notifications, parking, sms and mms are "
        "accepted and never fire here)",
        required=True,
        enum=KAZOO_HOOKS,
    )
    http_verb = string("HTTP method", enum=("get", "post", "put"), default="post")
    format = string("Body format", enum=("form-data", "json"), default="form-data")
    retries = integer(
        "Tries in all when one fails (Kazoo's count: 2 is one more try)",
        minimum=0,
        maximum=4,
        default=2,
    )
    enabled = boolean("Whether the hook fires", default=True)
    custom_data = obj(
        "Added to every payload (over the event's own fields); for the object hook, "
        "`type` and `action` choose the documents and changes"
    )
    include_internal_legs = boolean("Fire for internal legs too", default=True)
    include_subaccounts = boolean("Fire for sub-accounts' events too")
