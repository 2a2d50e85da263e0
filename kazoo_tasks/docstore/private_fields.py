"""The private fields Kazoo stamps on every new document of an account."""

from __future__ import annotations

from typing import Any

from kazoo_tasks.docstore.naming import account_db

DOC_VERSION = "1"
"""``pvt_vsn`` of the documents we write (Kazoo's current one)."""


def private_fields(pvt_type: str, account_id: str, created: int) -> dict[str, Any]:
    """``pvt_type``, the account and its database, ``pvt_created`` and ``pvt_modified``
    (both ``created``, gregorian seconds) and ``pvt_vsn`` of a new document."""
    return {
        "pvt_type": pvt_type,
        "pvt_account_id": account_id,
        "pvt_account_db": account_db(account_id),
        "pvt_created": created,
        "pvt_modified": created,
        "pvt_vsn": DOC_VERSION,
    }
