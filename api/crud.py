"""The one generic CRUD resource: every account-scoped document collection is built here
from a :class:`~api.documents.ResourceSpec` (schema + ``pvt_type``), never copied.

``/v2/accounts/{account_id}/<name>``: GET list, PUT create;
``/v2/accounts/{account_id}/<name>/{id}``: GET, POST replace, PATCH merge, DELETE (soft:
``pvt_deleted``); ``/v2/accounts/{account_id}/<name>/{id}/restore``: PUT (system admins)
brings a deleted document back. A system-wide collection (:data:`SYSTEM_SCOPE`, Kazoo's
global resources) has the same routes at ``/v2/<name>``, for system admins only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import request
from flask_restx import Namespace, Resource

from api.documents import SYSTEM, DocumentService, ResourceSpec, public_view, summary_view
from api.http import expected_revision, ok, request_data
from api.listing import ListQuery, Page
from api.swagger import (
    DocModels,
    ErrorDocs,
    SharedModels,
    add_model,
    document_models,
    envelope,
)
from api.tenancy import account_scoped, admin_to_write, authenticated, system_admin_only

ACCOUNT_ID_PARAM = {"description": "Account id (32 hex characters)", "pattern": "^[0-9a-f]{32}$"}
LIST_PARAMS: dict[str, Any] = {
    "page_size": {"description": "Entries per page (default 50)", "type": "integer"},
    "start_key": {"description": "Key to start from (a previous next_start_key)"},
    "paginate": {"description": "false: return everything", "type": "boolean"},
    "created_from": {"description": "Created at or after (gregorian seconds)", "type": "integer"},
    "created_to": {"description": "Created at or before (gregorian seconds)", "type": "integer"},
    "has_key": {"description": "Only documents having these keys (comma separated)"},
    "key_missing": {"description": "Only documents missing these keys (comma separated)"},
}
"""Documented list arguments; ``filter_<path>`` and ``filter_not_<path>`` also apply."""
REVISION_PARAMS: dict[str, Any] = {
    "rev": {"description": "Revision being edited (409 if stale); or send If-Match"},
}
SCOPED = [admin_to_write, account_scoped, authenticated]
"""``method_decorators`` of account resources (restx applies the last one outermost)."""


def system_wide(view: Callable[..., Any]) -> Callable[..., Any]:
    """Hands a handler of a system-wide collection the ``account_id`` :data:`SYSTEM`."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return view(*args, account_id=SYSTEM, **kwargs)

    return wrapper


@dataclass(frozen=True)
class Scope:
    """Where a collection's routes live and who reaches them."""

    path: str
    """The collection's path (``{name}`` is the resource's name)."""
    params: dict[str, Any]
    """Documented path parameters of the collection."""
    decorators: tuple[Callable[..., Any], ...]
    """``method_decorators`` of its routes."""
    label: str = ""
    """Prefix of its operation ids and namespace (unique in the API)."""


ACCOUNT_SCOPE = Scope(
    "/accounts/<account_id>/{name}", {"account_id": ACCOUNT_ID_PARAM}, tuple(SCOPED)
)
"""An account's documents (token of the account, an ancestor, or a system admin)."""
SYSTEM_SCOPE = Scope("/{name}", {}, (system_wide, system_admin_only, authenticated), "system_")
"""System-wide documents: system admins only."""


@dataclass(frozen=True)
class CrudRoutes:
    """The namespace and models built for a resource (extra routes attach to them)."""

    api: Any
    namespace: Namespace
    models: DocModels
    service: DocumentService


def list_answer(
    page: Page,
    summary: tuple[str, ...] | None,
    present: Callable[[dict[str, Any]], dict[str, Any]] = lambda doc: doc,
) -> Any:
    """A list page in Kazoo's envelope (``summary`` None shows whole public documents;
    ``present``: the resource's :meth:`~api.documents.DocumentRules.present`)."""
    shown = [present(doc) for doc in page.docs]
    data = [
        summary_view(doc, summary) if summary is not None else public_view(doc) for doc in shown
    ]
    extra: dict[str, Any] = {"page_size": len(data)}
    if page.start_key:
        extra["start_key"] = page.start_key
    if page.next_start_key:
        extra["next_start_key"] = page.next_start_key
    return ok(data, extra=extra)


def document_answer(
    doc: dict[str, Any],
    code: int = 200,
    view: Callable[[dict[str, Any]], dict[str, Any]] = public_view,
) -> Any:
    """One document in Kazoo's envelope (as ``view`` shows it), its revision as
    ``revision`` and ETag."""
    return ok(view(doc), code=code, revision=doc.get("_rev"))


def register_crud(
    api: Any,
    spec: ResourceSpec,
    service: DocumentService,
    shared: SharedModels,
    example: dict[str, Any] | None = None,
    scope: Scope = ACCOUNT_SCOPE,
) -> CrudRoutes:
    """Add the collection and item routes of ``spec`` to ``api`` (where ``scope`` says)."""
    op_name = f"{scope.label}{spec.name}"
    whose = "of an account" if scope is ACCOUNT_SCOPE else "of the whole system"
    ns = api.namespace(
        op_name,
        path=scope.path.format(name=spec.name),
        description=f"{spec.title} documents {whose}",
    )
    decorators = list(scope.decorators)
    models = document_models(api, spec, shared, example)
    errors = ErrorDocs(ns, shared.error)
    rules = spec.rules

    def shown(doc: dict[str, Any], code: int = 200) -> Any:
        return document_answer(rules.present(doc), code)

    def edit(verb: str, apply: Callable[..., Any], body: Any, answer: str) -> Callable[..., Any]:
        """POST (replace) and PATCH (merge) of one document: ``apply`` does the edit."""

        @ns.doc(f"{verb}_{op_name}", params=REVISION_PARAMS)
        @ns.expect(body, validate=False)
        @ns.response(200, answer, models.envelope)
        @errors(400, 401, 403, 404, 409)
        def method(self: Resource, account_id: str, doc_id: str) -> Any:
            doc = apply(account_id, doc_id, request_data(), expected_revision())
            return shown(doc)

        return method

    @ns.route("")
    @ns.doc(params=scope.params)
    class Collection(Resource):
        method_decorators = decorators

        @ns.doc(f"list_{op_name}", params=LIST_PARAMS)
        @ns.response(200, "A page of documents", models.list_envelope)
        @errors(400, 401, 403)
        def get(self, account_id: str) -> Any:
            page = service.list(account_id, ListQuery.from_args(request.args))
            return list_answer(page, spec.summary, rules.present)

        if not spec.read_only:

            @ns.doc(f"create_{op_name}")
            @ns.expect(models.request, validate=False)
            @ns.response(201, "Created", models.envelope)
            @errors(400, 401, 403)
            def put(self, account_id: str) -> Any:
                return shown(service.create(account_id, request_data()), 201)

        if not spec.read_only and rules.collection_patch:
            patch_body = add_model(
                api,
                f"{spec.title}CollectionPatch",
                {"type": "object", "properties": {"data": {"type": "object"}}},
            )
            patched = add_model(api, f"{spec.title}CollectionPatched", envelope({}))

            @ns.doc(f"patch_{op_name}_collection")
            @ns.expect(patch_body, validate=False)
            @ns.response(200, rules.collection_patch, patched)
            @errors(400, 401, 403)
            def patch(self, account_id: str) -> Any:
                return ok(rules.patch_collection(service.store, account_id, request_data()))

    @ns.route("/<doc_id>")
    @ns.doc(params={**scope.params, "doc_id": "Document id"})
    class Item(Resource):
        method_decorators = decorators

        @ns.doc(f"get_{op_name}")
        @ns.response(200, "The document", models.envelope)
        @errors(401, 403, 404)
        def get(self, account_id: str, doc_id: str) -> Any:
            doc = service.read(account_id, doc_id)
            live = rules.read_only(account_id, doc)
            if live is None:
                return shown(doc)
            return document_answer(
                rules.present(doc), view=lambda d: {**public_view(d), "_read_only": live}
            )

        if not spec.read_only:
            post = edit("replace", service.replace, models.request, "Replaced")
            patch = edit("patch", service.patch, models.patch_request, "Patched")

            @ns.doc(f"delete_{op_name}", params=REVISION_PARAMS)
            @ns.response(200, "Soft-deleted (the document as it was)", models.envelope)
            @errors(401, 403, 404, 409)
            def delete(self, account_id: str, doc_id: str) -> Any:
                return shown(service.delete(account_id, doc_id, expected_revision()))

    if not spec.read_only:

        @ns.route("/<doc_id>/restore")
        @ns.doc(params={**scope.params, "doc_id": "Id of a deleted document"})
        class Restore(Resource):
            # checked right after the token, before anything the URL names is looked up
            method_decorators = [*decorators[:-1], system_admin_only, decorators[-1]]

            @ns.doc(f"restore_{op_name}")
            @ns.response(200, "Restored", models.envelope)
            @errors(
                (400, "Its unique values or numbers are taken meanwhile"),
                401,
                (403, "Only a system admin restores"),
                (404, "No such deleted document"),
                409,
            )
            def put(self, account_id: str, doc_id: str) -> Any:
                return shown(service.restore(account_id, doc_id))

    return CrudRoutes(api, ns, models, service)
