"""The resources documents as the API shows them."""

from __future__ import annotations

from typing import Any

from schemas.resources import ResourceSchema

DOCUMENT = ResourceSchema
SUMMARY = ("name", "enabled", "weight_cost", "emergency")
"""Fields of each list entry (besides ``id``)."""
EXAMPLE: dict[str, Any] | None = {
    "name": "Carrier 1",
    "rules": ["^\\+1(\\d{10})$"],
    "gateways": [{"server": "sip.carrier1.example.com", "prefix": "+1"}],
}
"""Example request data shown in the Swagger UI."""
