"""The devices documents as the API shows them."""

from __future__ import annotations

from typing import Any

from schemas.devices import DeviceSchema

DOCUMENT = DeviceSchema
SUMMARY = ("name", "device_type", "owner_id", "enabled", "mac_address")
"""Fields of each list entry (besides ``id``)."""
EXAMPLE: dict[str, Any] | None = {
    "name": "Front desk phone",
    "device_type": "sip_device",
    "sip": {"username": "frontdesk", "password": "change-me-42"},
}
"""Example request data shown in the Swagger UI."""
