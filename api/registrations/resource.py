"""``/v2/accounts/{account_id}/registrations`` (GET list)."""

from __future__ import annotations

from typing import Any

from api.context import ApiContext
from api.crud import ACCOUNT_ID_PARAM
from api.read_routes import read_route
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

    read_route(
        ns, errors, "", params={"account_id": ACCOUNT_ID_PARAM},
        operation="list_registrations", description="The live registrations, by username",
        read=service.list, model=models.listing, listing=True,
    )  # fmt: skip
