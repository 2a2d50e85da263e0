"""The webhooks documents as the API shows them."""

from __future__ import annotations

from typing import Any

from schemas.webhooks import WebhookSchema

DOCUMENT = WebhookSchema
SUMMARY = ("name", "hook", "uri", "enabled", "disable_reason")
"""Fields of each list entry (besides ``id``)."""
EXAMPLE: dict[str, Any] | None = {
    "name": "Call events",
    "hook": "channel_create",
    "uri": "https://hooks.example.com/calls",
}
"""Example request data shown in the Swagger UI."""
