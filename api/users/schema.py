"""The users documents as the API shows them."""

from __future__ import annotations

from typing import Any

from schemas.users import UserSchema

DOCUMENT = UserSchema
SUMMARY = ("first_name", "last_name", "username", "email", "priv_level", "enabled")
"""Fields of each list entry (besides ``id``)."""
EXAMPLE: dict[str, Any] | None = {
    "first_name": "Alice",
    "last_name": "Smith",
    "username": "alice",
    "password": "correct horse",
    "email": "alice@example.com",
}
"""Example request data shown in the Swagger UI."""
