"""``/v2/accounts/{account_id}/temporal_rules_sets``: the generic CRUD resource."""

from __future__ import annotations

from api.documents import ResourceSpec
from api.temporal_rules_sets import schema, service

SPEC = ResourceSpec("temporal_rules_sets", schema.DOCUMENT, schema.SUMMARY, service.RULES)
