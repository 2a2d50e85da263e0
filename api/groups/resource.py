"""``/v2/accounts/{account_id}/groups``: the generic CRUD resource."""

from __future__ import annotations

from api.documents import ResourceSpec
from api.groups import schema, service

SPEC = ResourceSpec("groups", schema.DOCUMENT, schema.SUMMARY, service.RULES)
