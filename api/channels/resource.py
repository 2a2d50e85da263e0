"""``/v2/accounts/{account_id}/channels``: the live calls of an account and its
descendants (GET list), ``/channels/{call_id}``: one of them (GET), and Kazoo's
``/users/{user_id}/channels`` and ``/devices/{device_id}/channels``: the live calls of
one user or device of the account."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api.channels.service import ChannelService
from api.context import ApiContext
from api.crud import ACCOUNT_ID_PARAM
from api.documents import DocumentService
from api.read_routes import read_route
from api.swagger import ErrorDocs, SharedModels, add_model, envelope, ref, view_models
from schemas.channels import ChannelSchema


def register(api: Any, context: ApiContext, shared: SharedModels) -> None:
    """Add the channel routes."""
    ns = api.namespace(
        "channels",
        path="/accounts/<account_id>",
        description="Live calls of an account and its descendants, of a user, of a device",
    )
    service = ChannelService(context.redis, context.settings, context.store)
    models = view_models(api, "Channel", ChannelSchema)
    one = add_model(api, "ChannelEnvelope", envelope(ref(models.item)), [models.item])
    errors = ErrorDocs(ns, shared.error)

    read_route(
        ns, errors, "/channels", params={"account_id": ACCOUNT_ID_PARAM},
        operation="list_channels", description="The live calls, oldest first",
        read=service.list, model=models.listing, listing=True,
    )  # fmt: skip
    read_route(
        ns, errors, "/channels/<call_id>",
        params={"account_id": ACCOUNT_ID_PARAM, "call_id": "Call-ID of the channel"},
        operation="get_channel", description="The live call", read=service.read, model=one,
        answers=(401, 403, (404, "No such live call in reach")),
    )  # fmt: skip
    for kind, lister, what in (
        ("user", service.of_user, "Live calls from or to the user's devices, oldest first"),
        ("device", service.of_device, "Live calls from the device or ringing it, oldest first"),
    ):
        _add_owner_route(
            ns, errors, models.listing, context.documents[f"{kind}s"], kind, lister, what
        )


def _add_owner_route(
    ns: Any, errors: ErrorDocs, listing: Any, documents: DocumentService, kind: str,
    lister: Callable[[str, str], list[dict[str, Any]]], what: str,
) -> None:  # fmt: skip
    """``/<kind>s/<id>/channels``: Kazoo's live calls of one user or device (404 when the
    account has no such document)."""
    key = f"{kind}_id"

    def read(account_id: str, **owner: str) -> list[dict[str, Any]]:
        documents.read(account_id, owner[key])
        return lister(account_id, owner[key])

    read_route(
        ns, errors, f"/{kind}s/<{key}>/channels",
        params={"account_id": ACCOUNT_ID_PARAM, key: f"{kind.capitalize()} id"},
        operation=f"list_{kind}_channels", description=what, read=read, model=listing,
        answers=(401, 403, (404, f"No such {kind} in the account")), listing=True,
    )  # fmt: skip
