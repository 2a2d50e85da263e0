"""The menus documents as the API shows them."""

from __future__ import annotations

from typing import Any

from schemas.menus import MenuSchema

DOCUMENT = MenuSchema
SUMMARY = ("name",)
"""Fields of each list entry (besides ``id``)."""
EXAMPLE: dict[str, Any] | None = {"name": "Main menu", "retries": 3, "max_extension_length": 4}
"""Example request data shown in the Swagger UI."""
