"""``/v2/accounts/{account_id}/media``: the generic CRUD resource."""

from __future__ import annotations

from api.documents import ResourceSpec
from api.media import schema, service

SPEC = ResourceSpec("media", schema.DOCUMENT, schema.SUMMARY, service.RULES)
