"""``/v2/accounts/{account_id}/temporal_rules``: the generic CRUD resource."""

from __future__ import annotations

from api.documents import ResourceSpec
from api.temporal_rules import schema, service

SPEC = ResourceSpec("temporal_rules", schema.DOCUMENT, schema.SUMMARY, service.RULES)
