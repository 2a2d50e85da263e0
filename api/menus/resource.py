"""``/v2/accounts/{account_id}/menus``: the generic CRUD resource."""

from __future__ import annotations

from api.documents import ResourceSpec
from api.menus import schema, service

SPEC = ResourceSpec("menus", schema.DOCUMENT, schema.SUMMARY, service.RULES)
