"""Rules of directories beyond their schema: a directory shows its users as Kazoo does.

As in Kazoo, a user is in a directory when the user document's ``directories`` maps the
directory's id to a callflow (``{"<directory id>": "<callflow id>"}``: the callflow the
``directory`` module connects a caller to). Reading a directory answers its ``users`` as
``[{"user_id", "callflow_id"}]`` from those users (Kazoo's ``load_directory_users``),
plus any user id the directory's own ``users`` list names (without a callflow)."""

from __future__ import annotations

from typing import Any

from flask import g

from api.context import current
from api.documents import Document, DocumentRules
from kazoo_tasks.docstore import DocumentStore, account_db
from kazoo_tasks.docstore.soft_delete import is_deleted


def directory_users(store: DocumentStore, db: str, directory: Document) -> list[dict[str, Any]]:
    """The users of ``directory`` (stored in ``db``), by user id."""
    directory_id = directory["_id"]
    found = store.find(db, {"pvt_type": "user", f"directories.{directory_id}": {"$exists": True}})
    users = {
        user["_id"]: {"user_id": user["_id"], "callflow_id": user["directories"][directory_id]}
        for user in found
        if not is_deleted(user)
    }
    for user_id in directory.get("users") or []:
        users.setdefault(user_id, {"user_id": user_id})
    return [users[user_id] for user_id in sorted(users)]


class Rules(DocumentRules):
    """A directory is shown with its users."""

    def present(self, doc: Document) -> Document:
        db = account_db(g.account["_id"])  # the account of the request (account_scoped)
        return {**doc, "users": directory_users(current().store, db, doc)}


RULES = Rules()
