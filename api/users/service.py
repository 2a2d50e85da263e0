"""Rules of users beyond their schema: unique usernames, and passwords kept only as the
hashes ``user_auth`` compares, as Kazoo does (md5 and sha1 of ``"username:password"``)."""

from __future__ import annotations

import hashlib
from typing import Any

from api.documents import Document, DocumentRules
from api.errors import field_error
from kazoo_tasks.docstore import DocumentStore


def credentials_hash(username: str, password: str, method: str = "md5") -> str:
    """The credentials hash a client sends to ``user_auth``: md5 (or sha1) of
    ``"username:password"`` with the username lowercased."""
    digest = hashlib.md5 if method == "md5" else hashlib.sha1
    return digest(f"{username.lower()}:{password}".encode()).hexdigest()


class Rules(DocumentRules):
    """Usernames are unique in the account; a password is stored as hashes only."""

    unique = ("username",)

    def prepare(
        self, store: DocumentStore, account_id: str, doc: Document, existing: Document | None
    ) -> Document:
        password: Any = doc.pop("password", None)
        username = doc.get("username")
        if password is not None:
            if not username:
                raise field_error("username", "required", "A password needs a username")
            doc["pvt_md5_auth"] = credentials_hash(username, password, "md5")
            doc["pvt_sha1_auth"] = credentials_hash(username, password, "sha1")
        elif username is None:
            doc["pvt_md5_auth"] = doc["pvt_sha1_auth"] = None  # no login without a username
        elif existing is not None and existing.get("username") != username:
            if existing.get("pvt_md5_auth"):
                raise field_error(
                    "password", "required", "A new password is needed when the username changes"
                )
        return doc


RULES = Rules()
