"""``/v2/accounts/{account_id}/cdrs``: the generic CRUD resource (GET only)."""

from __future__ import annotations

from api.cdrs import schema, service
from api.documents import ResourceSpec

SPEC = ResourceSpec("cdrs", schema.DOCUMENT, schema.SUMMARY, service.RULES, read_only=True)
