"""The temporal_rules documents as the API shows them."""

from __future__ import annotations

from typing import Any

from schemas.temporal_rules import TemporalRuleSchema

DOCUMENT = TemporalRuleSchema
SUMMARY = ("name", "cycle")
"""Fields of each list entry (besides ``id``)."""
EXAMPLE: dict[str, Any] | None = {
    "name": "Business hours",
    "cycle": "weekly",
    "interval": 1,
    "wdays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
    "time_window_start": 32400,
    "time_window_stop": 61200,
}
"""Example request data shown in the Swagger UI."""
