"""``/v2/accounts/{account_id}/registrations`` (GET list)."""

from __future__ import annotations

from typing import Any

from flask_restx import Resource

from api.context import ApiContext
from api.crud import ACCOUNT_ID_PARAM, SCOPED
from api.http import ok
from api.registrations.service import RegistrationService
from api.swagger import ErrorDocs, SharedModels, view_models
from schemas.registrations import RegistrationSchema


def register(api: Any, context: ApiContext, shared: SharedModels) -> None:
    """Add the registrations route."""
    ns = api.namespace(
        "registrations",
        path="/accounts/<account_id>/registrations",
        description="Live SIP registrations in an account's realm",
    )
    service = RegistrationService(context.redis, context.settings, context.store)
    models = view_models(api, "Registration", RegistrationSchema)
    errors = ErrorDocs(ns, shared.error)

    @ns.route("")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM})
    @errors(401, 403)
    class Registrations(Resource):
        method_decorators = SCOPED

        @ns.doc("list_registrations")
        @ns.response(200, "The live registrations, by username", models.listing)
        def get(self, account_id: str) -> Any:
            registrations = service.list(account_id)
            return ok(registrations, extra={"page_size": len(registrations)})
