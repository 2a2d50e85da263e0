"""``/v2/accounts/{account_id}/users``: the generic CRUD resource."""

from __future__ import annotations

from api.documents import ResourceSpec
from api.users import schema, service

SPEC = ResourceSpec("users", schema.DOCUMENT, schema.SUMMARY, service.RULES)
