"""Rules of resources beyond their schema: each rule must be a regex that compiles."""

from __future__ import annotations

from typing import Any

from api.documents import Document, DocumentRules
from api.errors import ValidationFailed
from callflow.carriers import compile_rule
from kazoo_tasks.docstore import DocumentStore

GLOBAL_DB = "offnet"
"""Where the system's resources live (Kazoo's database of global resources)."""


class ResourceRules(DocumentRules):
    """A rule that does not compile would never match: refused at save time (400)."""

    def prepare(
        self, store: DocumentStore, account_id: str, doc: Document, existing: Document | None
    ) -> Document:
        errors: dict[str, Any] = {}
        for key in ("rules", "cid_rules", "rules_test"):
            for n, rule in enumerate(doc.get(key) or []):
                try:
                    compile_rule(rule)
                except ValueError as error:
                    errors[f"{key}.{n}"] = {"pattern": {"message": str(error), "cause": rule}}
        for name, classifier in (doc.get("classifiers") or {}).items():
            if classifier.get("regex"):
                try:
                    compile_rule(classifier["regex"])
                except ValueError as error:
                    errors[f"classifiers.{name}.regex"] = {"pattern": {"message": str(error)}}
        if errors:
            raise ValidationFailed(errors)
        return doc


RULES = ResourceRules()
