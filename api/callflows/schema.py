"""The callflows documents as the API shows them."""

from __future__ import annotations

from typing import Any

from schemas.callflows import CallflowSchema

DOCUMENT = CallflowSchema
SUMMARY = ("name", "numbers", "patterns")
"""Fields of each list entry (besides ``id``)."""
EXAMPLE: dict[str, Any] | None = {
    "name": "Front desk",
    "numbers": ["1000"],
    "flow": {"module": "device", "data": {"id": "<device id>"}, "children": {}},
}
"""Example request data shown in the Swagger UI."""
