"""``/v2/accounts/{account_id}/lists``: the generic CRUD resource (deleting a list deletes
its entries), and its entries at ``/lists/{list_id}/entries`` (the same CRUD, plus DELETE
of the collection: every entry of the list)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import g
from flask_restx import Resource

from api.context import ApiContext, current
from api.crud import ACCOUNT_ID_PARAM, SCOPED, CrudRoutes, Scope, register_crud
from api.documents import ResourceSpec
from api.http import ok
from api.lists import schema, service
from api.swagger import ErrorDocs, SharedModels, add_model, envelope

SPEC = ResourceSpec("lists", schema.DOCUMENT, schema.SUMMARY, service.RULES)
ENTRIES = ResourceSpec("list_entries", schema.ENTRY, schema.ENTRY_SUMMARY, service.EntryRules())
LIST_ID_PARAM = {"description": "The list's id"}


def in_list(view: Callable[..., Any]) -> Callable[..., Any]:
    """Finds the list the URL names (404 when the account has none such) and keeps its id
    for the entries' service (``g.list_id``)."""

    @functools.wraps(view)
    def wrapper(*args: Any, account_id: str, list_id: str, **kwargs: Any) -> Any:
        current().documents["lists"].read(account_id, list_id)
        g.list_id = list_id
        return view(*args, account_id=account_id, **kwargs)

    return wrapper


ENTRIES_SCOPE = Scope(
    "/accounts/<account_id>/lists/<list_id>/entries",
    {"account_id": ACCOUNT_ID_PARAM, "list_id": LIST_ID_PARAM},
    (in_list, *SCOPED),
)


def extend(routes: CrudRoutes, context: ApiContext, shared: SharedModels) -> None:
    """The entries of each list."""
    entries = service.ListEntries(context.store, ENTRIES)
    context.documents["list_entries"] = entries
    made = register_crud(routes.api, ENTRIES, entries, shared, schema.ENTRY_EXAMPLE, ENTRIES_SCOPE)
    ns = made.namespace
    deleted = add_model(
        routes.api,
        "ListEntriesDeletedEnvelope",
        envelope({"type": "array", "items": {"type": "string"}}),
    )
    errors = ErrorDocs(ns, shared.error)

    @ns.route("", doc=False)
    @ns.doc(params=ENTRIES_SCOPE.params)
    class AllEntries(Resource):
        method_decorators = list(ENTRIES_SCOPE.decorators)

        @ns.doc("delete_all_list_entries")
        @ns.response(200, "The ids of the entries deleted", deleted)
        @errors(401, 403, 404)
        def delete(self, account_id: str) -> Any:
            return ok(service.delete_entries(context.store, account_id, g.list_id))
