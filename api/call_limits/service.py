"""An account's call limits: one ``limits`` document in the account's database (Kazoo's
id and type), read with Kazoo's defaults when none was saved, and set (replaced) only by
the account's ancestors or a system admin: as in Kazoo, where only master, reseller and
system-admin accounts update limits, an account does not raise its own."""

from __future__ import annotations

from typing import Any

from api.documents import SCHEMA_VERSION, Document, check_revision, validate
from api.errors import Forbidden, RevisionConflict
from kazoo_tasks.clock import now_gregorian
from kazoo_tasks.docstore import Conflict, DocumentStore, NotFound, account_db
from schemas.limits import LimitsSchema

LIMITS_ID = "limits"


class LimitsService:
    """Read and set the ``limits`` document of an account."""

    def __init__(self, store: DocumentStore) -> None:
        self.store = store

    def read(self, account_id: str) -> Document:
        """The stored limits, or Kazoo's defaults (no ``_rev``) when none were saved."""
        try:
            doc = self.store.get(account_db(account_id), LIMITS_ID)
        except NotFound:
            doc = None
        if doc is None or doc.get("pvt_type") != LimitsSchema.pvt_type:
            return {**LimitsSchema().load({}), "_id": LIMITS_ID}
        return doc

    def replace(
        self, account_id: str, data: Any, *, by_ancestor: bool, expected_rev: str | None = None
    ) -> Document:
        """Replace the account's limits (``by_ancestor``: the caller is an ancestor of the
        account or a system admin; 403 otherwise)."""
        if not by_ancestor:
            raise Forbidden({"message": "an account does not set its own limits"})
        doc = validate(LimitsSchema, data)
        existing = self.read(account_id)
        if "_rev" in existing:
            check_revision(existing, expected_rev)
        now = now_gregorian()
        doc.update(
            _id=LIMITS_ID,
            pvt_type=LimitsSchema.pvt_type,
            pvt_account_id=account_id,
            pvt_account_db=account_db(account_id),
            pvt_created=existing.get("pvt_created", now),
            pvt_modified=now,
            pvt_vsn=SCHEMA_VERSION,
        )
        if "_rev" in existing:
            doc["_rev"] = existing["_rev"]
        try:
            return self.store.save(account_db(account_id), doc)
        except Conflict:
            raise RevisionConflict() from None
