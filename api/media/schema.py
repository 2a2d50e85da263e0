"""The media documents as the API shows them."""

from __future__ import annotations

from typing import Any

from schemas.media import MediaSchema

DOCUMENT = MediaSchema
SUMMARY = ("name", "media_source", "content_type", "language")
"""Fields of each list entry (besides ``id``)."""
EXAMPLE: dict[str, Any] | None = {"name": "Welcome greeting", "media_source": "upload"}
"""Example request data shown in the Swagger UI."""
