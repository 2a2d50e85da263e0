"""Rules of temporal_rules_sets beyond their schema."""

from __future__ import annotations

from api.documents import DocumentRules

RULES = DocumentRules()
"""No rule beyond the schema."""
