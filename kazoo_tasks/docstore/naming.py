"""Database names, as Kazoo spells them.

An account's database is ``account/xx/yy/rest-of-id`` (in URLs it appears encoded as
``account%2Fxx%2Fyy%2Frest-of-id``). Account ids are 32 lowercase hex characters.
"""

from __future__ import annotations

import re

ACCOUNTS_DB = "accounts"
NUMBERS_DB = "numbers"

_ACCOUNT_ID = re.compile(r"^[0-9a-f]{32}$")
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
