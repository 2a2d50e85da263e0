"""The functions documents as the API shows them."""

from __future__ import annotations

from typing import Any

from schemas.functions import FunctionSchema

DOCUMENT = FunctionSchema
SUMMARY = ("name", "function_js", "enabled")
"""Fields of each list entry (besides ``id``), as Kazoo lists them."""
EXAMPLE: dict[str, Any] | None = {
    "name": "say hi",
    "function_js": "return {'module': 'tts', "
    "'data': {'text': 'Thanks for calling us ' + call['Caller-ID-Name']}};",
}
"""Example request data shown in the Swagger UI (Kazoo's example)."""
