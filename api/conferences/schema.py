"""The conferences documents as the API shows them."""

from __future__ import annotations

from typing import Any

from schemas.conferences import ConferenceSchema

DOCUMENT = ConferenceSchema
SUMMARY = ("name", "conference_numbers", "owner_id")
"""Fields of each list entry (besides ``id``)."""
EXAMPLE: dict[str, Any] | None = {
    "name": "Weekly sync",
    "conference_numbers": ["3000"],
    "member": {"pins": ["1234"]},
}
"""Example request data shown in the Swagger UI."""
