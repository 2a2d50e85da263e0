"""``/v2/accounts/{account_id}/limits``: GET the account's call limits, POST to replace
them (its ancestors and system admins only)."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_restx import Resource

from api.call_limits.service import LimitsService
from api.context import ApiContext
from api.crud import ACCOUNT_ID_PARAM, REVISION_PARAMS, SCOPED, document_answer
from api.http import expected_revision, request_data
from api.swagger import ErrorDocs, SharedModels, body_models
from schemas.limits import LimitsSchema


def register(api: Any, context: ApiContext, shared: SharedModels) -> None:
    """Add the limits route."""
    ns = api.namespace(
        "limits",
        path="/accounts/<account_id>/limits",
        description="An account's call limits (flat-rate trunks, concurrent calls)",
    )
    service = LimitsService(context.store)
    models = body_models(api, "Limits", LimitsSchema)
    errors = ErrorDocs(ns, shared.error)

    @ns.route("")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM})
    @errors(401, 403)
    class Limits(Resource):
        method_decorators = SCOPED

        @ns.doc("get_limits")
        @ns.response(
            200, "The account's limits (Kazoo's defaults when none were set)", models.envelope
        )
        def get(self, account_id: str) -> Any:
            return document_answer(service.read(account_id))

        @ns.doc("set_limits", params=REVISION_PARAMS)
        @ns.expect(models.request, validate=False)
        @ns.response(200, "Replaced", models.envelope)
        @errors(400, (403, "An account does not set its own limits"), 409)
        def post(self, account_id: str) -> Any:
            by_ancestor = g.auth.is_superduper_admin or account_id != g.auth.account_id
            doc = service.replace(
                account_id,
                request_data(),
                by_ancestor=by_ancestor,
                expected_rev=expected_revision(),
            )
            return document_answer(doc)
