"""The queues documents as the API shows them."""

from __future__ import annotations

from typing import Any

from schemas.queues import QueueSchema

DOCUMENT = QueueSchema
SUMMARY = ("name", "strategy")
"""Fields of each list entry (besides ``id``)."""
EXAMPLE: dict[str, Any] | None = {"name": "Support", "strategy": "round_robin"}
"""Example request data shown in the Swagger UI."""
