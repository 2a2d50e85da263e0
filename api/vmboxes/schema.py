"""The vmboxes documents as the API shows them."""

from __future__ import annotations

from typing import Any

from schemas.vmboxes import VmboxSchema

DOCUMENT = VmboxSchema
SUMMARY = ("name", "mailbox", "owner_id")
"""Fields of each list entry (besides ``id``)."""
EXAMPLE: dict[str, Any] | None = {"name": "Front desk voicemail", "mailbox": "1000", "pin": "1234"}
"""Example request data shown in the Swagger UI."""
