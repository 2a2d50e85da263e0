"""A webhook (Kazoo's ``webhooks`` schema): an HTTP callback on call events."""

from __future__ import annotations

from schemas.base import DocumentSchema, boolean, integer, obj, string


class WebhookSchema(DocumentSchema):
    pvt_type = "webhook"

    name = string("A friendly name for the webhook", required=True, min_length=1)
    uri = string("The URL called", required=True, min_length=1, pattern=r"^https?://")
    hook = string("The event that fires the hook", required=True, min_length=1)
    http_verb = string("HTTP method", enum=("get", "post", "put"), default="post")
    format = string("Body format", enum=("form-data", "json"), default="form-data")
    retries = integer("Retries on failure", minimum=0, maximum=4, default=2)
    enabled = boolean("Whether the hook fires", default=True)
    custom_data = obj("Extra data sent with each call")
    include_internal_legs = boolean("Fire for internal legs too", default=True)
    include_subaccounts = boolean("Fire for sub-accounts' calls too")
