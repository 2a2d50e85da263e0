"""``/v2/accounts``: create, read, replace, patch, delete accounts; ``PUT`` on an account
creates a sub-account (as in Kazoo); ``children``, ``descendants``, ``parents``, ``tree``
and ``api_key`` below each account."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g, request
from flask_restx import Resource

from api.accounts import schema
from api.accounts.service import ACCOUNTS, AccountService, account_view, system_admin_change
from api.context import ApiContext
from api.crud import (
    ACCOUNT_ID_PARAM,
    LIST_PARAMS,
    REVISION_PARAMS,
    SCOPED,
    document_answer,
    list_answer,
)
from api.errors import Forbidden
from api.http import expected_revision, ok, request_data
from api.listing import ListQuery, Page
from api.swagger import ErrorDocs, SharedModels, add_model, document_models, envelope
from api.tenancy import admin_to_write, authenticated


def register(api: Any, context: ApiContext, shared: SharedModels) -> None:
    """Add the account routes."""
    ns = api.namespace("accounts", path="/accounts", description="Accounts and their hierarchy")
    service = AccountService(context.store)
    models = document_models(api, ACCOUNTS, shared, schema.EXAMPLE)
    entries = add_model(
        api,
        "AccountEntryListEnvelope",
        envelope(
            {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                },
            },
            page_size={"type": "integer"},
            start_key={"type": "string"},
            next_start_key={"type": "string"},
        ),
    )
    api_key = add_model(
        api,
        "ApiKeyEnvelope",
        envelope({"type": "object", "properties": {"api_key": {"type": "string"}}}),
    )
    errors = ErrorDocs(ns, shared.error)

    def answer_with(doc: dict[str, Any], code: int = 200) -> Any:
        return document_answer(doc, code, account_view)

    def create_below(parent_id: str) -> Any:
        """A new account below ``parent_id`` (a system admin may make it one too)."""
        data = request_data()
        flag = system_admin_change(data, g.auth.is_superduper_admin)
        created = service.create_account(
            data, parent_id, superduper_admin=flag.get("pvt_superduper_admin", False)
        )
        return answer_with(created, 201)

    def edit(verb: str, apply: Callable[..., Any], body: Any, answer: str) -> Callable[..., Any]:
        """POST (replace) and PATCH (merge) of an account: ``apply`` does the edit."""

        @ns.doc(f"{verb}_account", params=REVISION_PARAMS)
        @ns.expect(body, validate=False)
        @ns.response(200, answer, models.envelope)
        @errors(400, 409)
        def method(self: Resource, account_id: str) -> Any:
            data, revision = request_data(), expected_revision()
            if _is_own(account_id):
                data = service.keeping_enabled(account_id, data)
            private = system_admin_change(data, g.auth.is_superduper_admin)
            return answer_with(apply(account_id, account_id, data, revision, private))

        return method

    def below(operation: str, answer: str, find: Callable[..., Page]) -> Callable[..., Any]:
        """GET of a list of accounts below one: ``find`` reads the page."""

        @ns.doc(operation)
        @ns.response(200, answer, models.list_envelope)
        @errors((400, "Bad list arguments"), 403)
        def method(self: Resource, account_id: str) -> Any:
            page = find(account_id, ListQuery.from_args(request.args))
            return list_answer(page, schema.SUMMARY)

        return method

    @ns.route("")
    class Accounts(Resource):
        method_decorators = [admin_to_write, authenticated]

        @ns.doc("create_account")
        @ns.expect(models.request, validate=False)
        @ns.response(201, "Created below the token's account", models.envelope)
        @errors(400, 401)
        def put(self) -> Any:
            return create_below(g.auth.account_id)

    @ns.route("/<account_id>")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM})
    @errors(401, 403)
    class Account(Resource):
        method_decorators = SCOPED

        @ns.doc("get_account")
        @ns.response(200, "The account", models.envelope)
        @errors(404)
        def get(self, account_id: str) -> Any:
            return answer_with(service.read(account_id))

        @ns.doc("create_sub_account")
        @ns.expect(models.request, validate=False)
        @ns.response(201, "Sub-account created", models.envelope)
        @errors(400)
        def put(self, account_id: str) -> Any:
            return create_below(account_id)

        post = edit("replace", service.replace, models.request, "Replaced")
        patch = edit("patch", service.patch, models.patch_request, "Patched")

        @ns.doc("delete_account", params=REVISION_PARAMS)
        @ns.response(200, "Deleted (the account as it was)", models.envelope)
        @errors((409, "Stale revision, or the account has sub-accounts"))
        def delete(self, account_id: str) -> Any:
            if account_id == g.auth.account_id:
                raise Forbidden({"message": "an account cannot delete itself"})
            return answer_with(service.delete(account_id, account_id, expected_revision()))

    @ns.route("/<account_id>/children")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM, **LIST_PARAMS})
    class Children(Resource):
        method_decorators = SCOPED
        get = below("account_children", "Accounts directly below", service.children)

    @ns.route("/<account_id>/descendants")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM, **LIST_PARAMS})
    class Descendants(Resource):
        method_decorators = SCOPED
        get = below("account_descendants", "Every account below", service.descendants)

    @ns.route("/<account_id>/siblings")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM, **LIST_PARAMS})
    class Siblings(Resource):
        method_decorators = SCOPED

        @ns.doc("account_siblings")
        @ns.response(
            200, "The accounts beside this one (its parent's children)", models.list_envelope
        )
        @errors(
            (400, "Bad list arguments"), (403, "An account's own siblings (system admins only)")
        )
        def get(self, account_id: str) -> Any:
            if account_id == g.auth.account_id and not g.auth.is_superduper_admin:
                raise Forbidden({"message": "an account does not list its own siblings"})
            page = service.siblings(account_id, ListQuery.from_args(request.args))
            return list_answer(page, schema.SUMMARY)

    def above(operation: str, answer: str, *, counted: bool) -> Callable[..., Any]:
        """GET of the accounts above one that the token reaches, root first (``counted``:
        with their number as ``page_size``)."""

        @ns.doc(operation)
        @ns.response(200, answer, entries)
        @errors(403)
        def method(self: Resource, account_id: str) -> Any:
            found = service.ancestors(account_id, visible_from=_visible_from())
            return ok(found, extra={"page_size": len(found)} if counted else None)

        return method

    @ns.route("/<account_id>/parents")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM})
    class Parents(Resource):
        method_decorators = SCOPED
        get = above("account_parents", "Ancestors the token reaches, root first", counted=True)

    @ns.route("/<account_id>/tree")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM})
    class Tree(Resource):
        method_decorators = SCOPED
        get = above("account_tree", "Path from the token's account down to this one", counted=False)

    @ns.route("/<account_id>/api_key")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM})
    class ApiKey(Resource):
        method_decorators = SCOPED

        @ns.doc("account_api_key")
        @ns.response(200, "The account's api key", api_key)
        @errors(403)
        def get(self, account_id: str) -> Any:
            return ok({"api_key": service.read(account_id)["pvt_api_key"]})

        @ns.doc("rotate_account_api_key")
        @ns.response(200, "A new api key; tokens issued from the old one are revoked", api_key)
        @errors(403, 409)
        def put(self, account_id: str) -> Any:
            return ok({"api_key": service.rotate_api_key(account_id)})

    move_body = add_model(
        api,
        "AccountMoveRequest",
        {
            "type": "object",
            "required": ["data"],
            "properties": {
                "data": {
                    "type": "object",
                    "required": ["to"],
                    "properties": {
                        "to": {"type": "string", "description": "The account to move under"}
                    },
                }
            },
        },
    )

    def move(operation: str) -> Callable[..., Any]:
        """PUT and POST of ``move`` (Kazoo documents POST; PUT is taken too)."""

        @ns.doc(operation)
        @ns.expect(move_body, validate=False)
        @ns.response(200, "Moved: the account with its new tree", models.envelope)
        @errors(
            (400, "No destination, no such account, or one below this one"),
            (403, "Neither a system admin nor an ancestor of both accounts"),
            409,
        )
        def method(self: Resource, account_id: str) -> Any:
            auth = g.auth
            moved = service.move(
                account_id, request_data(), auth.account_id, system_admin=auth.is_superduper_admin
            )
            return answer_with(moved)

        return method

    @ns.route("/<account_id>/move")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM})
    @errors(401, 403)
    class Move(Resource):
        method_decorators = SCOPED
        post = move("move_account")
        put = move("move_account_with_put")


def _is_own(account_id: str) -> bool:
    """Whether the caller edits its own account (it may not enable or disable it)."""
    return account_id == g.auth.account_id and not g.auth.is_superduper_admin


def _visible_from() -> str | None:
    """Ancestors are shown from the caller's account down (all of them for a system admin)."""
    return None if g.auth.is_superduper_admin else g.auth.account_id
