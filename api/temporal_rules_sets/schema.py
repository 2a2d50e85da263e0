"""The temporal_rules_sets documents as the API shows them."""

from __future__ import annotations

from typing import Any

from schemas.temporal_rules_sets import TemporalRuleSetSchema

DOCUMENT = TemporalRuleSetSchema
SUMMARY = ("name",)
"""Fields of each list entry (besides ``id``)."""
EXAMPLE: dict[str, Any] | None = {"name": "Holidays", "temporal_rules": ["{RULE_ID}", "{RULE_ID}"]}
"""Example request data shown in the Swagger UI."""
