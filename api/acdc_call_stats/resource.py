"""``/v2/accounts/{account_id}/acdc_call_stats``: each caller's time in a queue (handled
by whom, or abandoned and why; wait and talk time, misses), read-only; the list takes
Kazoo's ``created_from`` / ``created_to`` (gregorian seconds) like every list."""

from __future__ import annotations

from api.acdc_call_stats import schema
from api.documents import DocumentRules, ResourceSpec

SPEC = ResourceSpec(
    "acdc_call_stats", schema.DOCUMENT, schema.SUMMARY, DocumentRules(), read_only=True
)
