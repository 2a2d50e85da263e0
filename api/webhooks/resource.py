"""``/v2/accounts/{account_id}/webhooks``: the generic CRUD resource."""

from __future__ import annotations

from api.documents import ResourceSpec
from api.webhooks import schema, service

SPEC = ResourceSpec("webhooks", schema.DOCUMENT, schema.SUMMARY, service.RULES)
