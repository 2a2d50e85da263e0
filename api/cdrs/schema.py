"""The cdrs documents as the API shows them."""

from __future__ import annotations

from typing import Any

from schemas.cdrs import CdrSchema

DOCUMENT = CdrSchema
SUMMARY = (
    "call_id",
    "call_direction",
    "caller_id_number",
    "caller_id_name",
    "callee_id_number",
    "duration_seconds",
    "billing_seconds",
    "hangup_cause",
    "timestamp",
)
"""Fields of each list entry (besides ``id``)."""
EXAMPLE: dict[str, Any] | None = None
"""Example request data shown in the Swagger UI."""
