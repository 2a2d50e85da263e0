"""The groups documents as the API shows them."""

from __future__ import annotations

from typing import Any

from schemas.groups import GroupSchema

DOCUMENT = GroupSchema
SUMMARY = ("name", "endpoints")
"""Fields of each list entry (besides ``id``)."""
EXAMPLE: dict[str, Any] | None = {"name": "Sales", "endpoints": {}}
"""Example request data shown in the Swagger UI."""
