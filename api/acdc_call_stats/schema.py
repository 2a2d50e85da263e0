"""The acdc_call_stat documents as the API shows them."""

from __future__ import annotations

from typing import Any

from schemas.acdc import AcdcCallStatSchema

DOCUMENT = AcdcCallStatSchema
SUMMARY = ("call_id", "queue_id", "agent_id", "status", "wait_time", "talk_time")
"""Fields of each list entry (besides ``id``)."""
EXAMPLE: dict[str, Any] | None = None
"""Example request data shown in the Swagger UI."""
