"""``/v2/accounts/{account_id}/directories``: the generic CRUD resource (a directory is
read with its users)."""

from __future__ import annotations

from api.directories import schema, service
from api.documents import ResourceSpec

SPEC = ResourceSpec("directories", schema.DOCUMENT, schema.SUMMARY, service.RULES)
