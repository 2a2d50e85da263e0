"""``metaflows`` of an account (``/v2/accounts/{account_id}/metaflows``), of a user
(``.../users/{id}/metaflows``) and of a device (``.../devices/{id}/metaflows``): GET,
POST (replace), DELETE, as in Kazoo."""

from __future__ import annotations

from typing import Any

from flask_restx import Namespace, Resource

from api.accounts.service import AccountService
from api.context import ApiContext
from api.crud import ACCOUNT_ID_PARAM, SCOPED
from api.http import ok, request_data
from api.metaflows.service import MetaflowsService
from api.swagger import ErrorDocs, SharedModels, body_models
from schemas.base import Metaflows


def register(api: Any, context: ApiContext, shared: SharedModels) -> None:
    """Add the metaflows routes of accounts, users and devices."""
    models = body_models(api, "Metaflows", Metaflows)

    def routes(ns: Namespace, path: str, owner: str, service: MetaflowsService) -> None:
        """GET, POST and DELETE of the metaflows of the ``owner`` documents at ``path``
        (the account itself, or ``doc_id`` of a collection)."""
        errors = ErrorDocs(ns, shared.error)
        params = {"account_id": ACCOUNT_ID_PARAM}
        if owner != "account":
            params["doc_id"] = f"The {owner}'s id"

        @ns.route(path)
        @ns.doc(params=params)
        @errors(401, 403, 404)
        class OwnerMetaflows(Resource):
            method_decorators = SCOPED

            @ns.doc(f"get_{owner}_metaflows")
            @ns.response(200, f"The {owner}'s metaflows", models.envelope)
            def get(self, account_id: str, doc_id: str | None = None) -> Any:
                return ok(service.read(account_id, doc_id or account_id))

            @ns.doc(f"set_{owner}_metaflows")
            @ns.expect(models.request, validate=False)
            @ns.response(200, "Replaced", models.envelope)
            @errors(400, 409)
            def post(self, account_id: str, doc_id: str | None = None) -> Any:
                return ok(service.replace(account_id, doc_id or account_id, request_data()))

            @ns.doc(f"delete_{owner}_metaflows")
            @ns.response(200, "Removed", models.envelope)
            @errors(409)
            def delete(self, account_id: str, doc_id: str | None = None) -> Any:
                return ok(service.remove(account_id, doc_id or account_id))

        OwnerMetaflows.__name__ = f"{owner.title()}Metaflows"

    accounts = api.namespace(
        "metaflows", path="/accounts/<account_id>/metaflows", description="Metaflows"
    )
    routes(accounts, "", "account", MetaflowsService(AccountService(context.store)))
    for owner, collection in (("user", "users"), ("device", "devices")):
        ns = next(n for n in api.namespaces if n.name == collection)
        routes(ns, "/<doc_id>/metaflows", owner, MetaflowsService(context.documents[collection]))
