"""The ``metaflows`` of an account, a user or a device: kept as the ``metaflows`` key of
that document, as Kazoo keeps them, and read, set (replaced) or removed whole. Each
write goes through the owning document's own service (its validation, rules and
revision)."""

from __future__ import annotations

from typing import Any

from api.documents import Document, DocumentService, public_view, validate
from schemas.base import Metaflows

KEY = "metaflows"


def public_fields(doc: Document) -> Document:
    """The fields a client wrote (what a replace sends back), without ``id``."""
    return {key: value for key, value in public_view(doc).items() if key != "id"}


class MetaflowsService:
    """The metaflows of the documents one :class:`DocumentService` holds."""

    def __init__(self, owners: DocumentService) -> None:
        self.owners = owners

    def read(self, account_id: str, doc_id: str) -> dict[str, Any]:
        """The document's metaflows (``{}`` when it has none)."""
        return dict(self.owners.read(account_id, doc_id).get(KEY) or {})

    def replace(self, account_id: str, doc_id: str, data: Any) -> dict[str, Any]:
        """Set the document's metaflows to ``data`` (400 with field errors if invalid)."""
        metaflows = validate(Metaflows, data)
        doc = public_fields(self.owners.read(account_id, doc_id))
        saved = self.owners.replace(account_id, doc_id, {**doc, KEY: metaflows})
        return dict(saved.get(KEY) or {})

    def remove(self, account_id: str, doc_id: str) -> dict[str, Any]:
        """Remove the document's metaflows; ``{}``, as Kazoo answers."""
        doc = public_fields(self.owners.read(account_id, doc_id))
        if KEY in doc:
            del doc[KEY]
            self.owners.replace(account_id, doc_id, doc)
        return {}
