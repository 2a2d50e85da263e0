"""The account document as the API shows it."""

from __future__ import annotations

from schemas.accounts import AccountSchema

DOCUMENT = AccountSchema
SUMMARY = ("name", "realm", "enabled")
"""Fields of each entry of ``children`` / ``descendants``."""
EXAMPLE = {"name": "Acme Corp", "realm": "acme.sip.example.com", "timezone": "Europe/Paris"}
