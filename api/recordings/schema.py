"""The call_recording documents as the API shows them."""

from __future__ import annotations

from typing import Any

from schemas.call_recordings import CallRecordingSchema

DOCUMENT = CallRecordingSchema
SUMMARY = ("name", "call_id", "caller_id_number", "callee_id_number", "duration_ms", "start")
"""Fields of each list entry (besides ``id``)."""
EXAMPLE: dict[str, Any] | None = None
"""Example request data shown in the Swagger UI."""
