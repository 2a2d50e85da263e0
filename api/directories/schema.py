"""The directories documents as the API shows them."""

from __future__ import annotations

from typing import Any

from schemas.directories import DirectorySchema

DOCUMENT = DirectorySchema
SUMMARY = ("name",)
"""Fields of each list entry (besides ``id``), as Kazoo lists them."""
EXAMPLE: dict[str, Any] | None = {"name": "Company directory", "sort_by": "last_name"}
"""Example request data shown in the Swagger UI."""
