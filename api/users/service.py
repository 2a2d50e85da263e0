"""Rules of users beyond their schema: unique usernames, and passwords kept only as hashes.

The password itself is stored as an argon2id hash (``pvt_password_hash``, :mod:`api.passwords`),
checked by ``PUT /v2/user_auth`` with ``username`` and ``password``. Kazoo's clients log in
with ``credentials``, the md5 (or sha1) of ``"username:password"``, which the server can
only compare with the same digests: ``pvt_md5_auth`` and ``pvt_sha1_auth`` are kept for
that compatibility path of ``user_auth`` and read nowhere else. Every password change makes
a new (salted) hash, which ends the tokens issued from the old one (:mod:`api.tokens`)."""

from __future__ import annotations

import hashlib
from typing import Any

from api.documents import Document, DocumentRules
from api.errors import field_error
from api.passwords import hash_password
from kazoo_tasks.docstore import DocumentStore


def credentials_hash(username: str, password: str, method: str = "md5") -> str:
    """The credentials hash a client sends to ``user_auth``: md5 (or sha1) of
    ``"username:password"`` with the username lowercased."""
    digest = hashlib.md5 if method == "md5" else hashlib.sha1
    return digest(f"{username.lower()}:{password}".encode()).hexdigest()


def token_credential(user: Document) -> str:
    """What a user's tokens are bound to: the password as stored now (its salted hash)."""
    return user.get("pvt_password_hash") or user.get("pvt_md5_auth") or ""


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
            doc["pvt_password_hash"] = hash_password(password)
            doc["pvt_md5_auth"] = credentials_hash(username, password, "md5")
            doc["pvt_sha1_auth"] = credentials_hash(username, password, "sha1")
        elif username is None:  # no login without a username
            doc["pvt_password_hash"] = doc["pvt_md5_auth"] = doc["pvt_sha1_auth"] = None
        elif existing is not None and existing.get("username") != username:
            if existing.get("pvt_password_hash") or existing.get("pvt_md5_auth"):
                raise field_error(
                    "password", "required", "A new password is needed when the username changes"
                )
        return doc


RULES = Rules()
