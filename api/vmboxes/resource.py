"""``/v2/accounts/{account_id}/vmboxes``: the generic CRUD resource."""

from __future__ import annotations

from api.documents import ResourceSpec
from api.vmboxes import schema, service

SPEC = ResourceSpec("vmboxes", schema.DOCUMENT, schema.SUMMARY, service.RULES)
