"""``/v2/accounts/{account_id}/callflows``: the generic CRUD resource."""

from __future__ import annotations

from api.callflows import schema, service
from api.documents import ResourceSpec

SPEC = ResourceSpec("callflows", schema.DOCUMENT, schema.SUMMARY, service.RULES)
