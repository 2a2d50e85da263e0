"""The lists documents as the API shows them (their entries: :data:`ENTRY`)."""

from __future__ import annotations

from typing import Any

from schemas.lists import ListEntrySchema, ListSchema

DOCUMENT = ListSchema
SUMMARY = ("name", "description")
"""Fields of each list entry (besides ``id``)."""
EXAMPLE: dict[str, Any] | None = {"name": "VIP callers", "description": "Put through at once"}
"""Example request data shown in the Swagger UI."""

ENTRY = ListEntrySchema
ENTRY_SUMMARY = ("number", "pattern", "displayname", "firstname", "lastname")
ENTRY_EXAMPLE: dict[str, Any] = {"number": "14155550100", "displayname": "Alice Example"}
