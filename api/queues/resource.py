"""``/v2/accounts/{account_id}/queues``: the generic CRUD resource."""

from __future__ import annotations

from api.documents import ResourceSpec
from api.queues import schema, service

SPEC = ResourceSpec("queues", schema.DOCUMENT, schema.SUMMARY, service.RULES)
