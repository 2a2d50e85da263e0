"""``/v2/accounts/{account_id}/devices``: the generic CRUD resource."""

from __future__ import annotations

from api.devices import schema, service, status
from api.documents import ResourceSpec

SPEC = ResourceSpec("devices", schema.DOCUMENT, schema.SUMMARY, service.RULES)
extend = status.extend
