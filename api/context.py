"""What every request handler reaches: settings, the document store, Redis, the token
signer, the revoked tokens and the per-resource services, held once per app in
``app.extensions``."""

from __future__ import annotations

from dataclasses import dataclass, field

import redis
from flask import current_app

from api.documents import DocumentService
from api.revocation import Revocations
from api.tokens import TokenSigner
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore

EXTENSION = "kazoo_tasks"


@dataclass
class ApiContext:
    """The services one API app runs on."""

    settings: Settings
    store: DocumentStore
    redis: redis.Redis
    tokens: TokenSigner
    revocations: Revocations
    documents: dict[str, DocumentService] = field(default_factory=dict)


def current() -> ApiContext:
    """The context of the app handling this request."""
    return current_app.extensions[EXTENSION]
