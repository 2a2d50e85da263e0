"""Database names, as Kazoo spells them.

An account's database is ``account/xx/yy/rest-of-id`` (in URLs it appears encoded as
``account%2Fxx%2Fyy%2Frest-of-id``). Account ids are 32 lowercase hex characters.
"""

from __future__ import annotations

import re

from kazoo_tasks.docstore.base import InvalidRequest

ACCOUNTS_DB = "accounts"
NUMBERS_DB = "numbers"

_ACCOUNT_ID = re.compile(r"^[0-9a-f]{32}$")
_DB_NAME = re.compile(r"^[a-z][a-z0-9_$()+/-]*$")
_DB_NAME_MAX = 238
_ACCOUNT_DB = re.compile(r"^account/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{28})$")


def account_db(account_id: str) -> str:
    """The (unencoded) database name of an account."""
    if not _ACCOUNT_ID.match(account_id):
        raise ValueError(f"not an account id: {account_id!r}")
    return f"account/{account_id[:2]}/{account_id[2:4]}/{account_id[4:]}"


def account_id_from_db(db: str) -> str | None:
    """The account id of an account database name, or None for any other database."""
    found = _ACCOUNT_DB.match(db)
    return "".join(found.groups()) if found else None


def check_db_name(db: str) -> str:
    """Return ``db`` if CouchDB accepts it as a database name, else raise InvalidRequest.

    CouchDB's rule: a lowercase letter, then lowercase letters, digits and ``_$()+-/``,
    at most 238 characters.
    """
    if not isinstance(db, str) or len(db) > _DB_NAME_MAX or not _DB_NAME.match(db):
        raise InvalidRequest(
            f"invalid database name {db!r}: a lowercase letter, then a-z 0-9 _$()+-/"
        )
    return db
