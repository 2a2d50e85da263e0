"""``/v2/accounts/{account_id}/functions``: the generic CRUD resource."""

from __future__ import annotations

from api.documents import ResourceSpec
from api.functions import schema

SPEC = ResourceSpec("functions", schema.DOCUMENT, schema.SUMMARY)
