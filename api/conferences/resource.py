"""``/v2/accounts/{account_id}/conferences``: the generic CRUD resource."""

from __future__ import annotations

from api.conferences import schema, service
from api.documents import ResourceSpec

SPEC = ResourceSpec("conferences", schema.DOCUMENT, schema.SUMMARY, service.RULES)
