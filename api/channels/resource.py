"""``/v2/accounts/{account_id}/channels``: the live calls of an account and its
descendants (GET list), ``/channels/{call_id}``: one of them (GET), and Kazoo's
``/users/{user_id}/channels`` and ``/devices/{device_id}/channels``: the live calls of
one user or device of the account."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_restx import Resource

from api.channels.service import ChannelService
from api.context import ApiContext
from api.crud import ACCOUNT_ID_PARAM, SCOPED
from api.documents import DocumentService
from api.http import ok
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

    @ns.route("/channels")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM})
    @errors(401, 403)
    class Channels(Resource):
        method_decorators = SCOPED

        @ns.doc("list_channels")
        @ns.response(200, "The live calls, oldest first", models.listing)
        def get(self, account_id: str) -> Any:
            channels = service.list(account_id)
            return ok(channels, extra={"page_size": len(channels)})

    @ns.route("/channels/<call_id>")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM, "call_id": "Call-ID of the channel"})
    @errors(401, 403, (404, "No such live call in reach"))
    class Channel(Resource):
        method_decorators = SCOPED

        @ns.doc("get_channel")
        @ns.response(200, "The live call", one)
        def get(self, account_id: str, call_id: str) -> Any:
            return ok(service.read(account_id, call_id))

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

    class OwnerChannels(Resource):
        method_decorators = SCOPED

        @ns.doc(f"list_{kind}_channels")
        @ns.response(200, what, listing)
        def get(self, account_id: str, **owner: str) -> Any:
            doc_id = owner[key]
            documents.read(account_id, doc_id)
            channels = lister(account_id, doc_id)
            return ok(channels, extra={"page_size": len(channels)})

    OwnerChannels.__name__ = f"{kind.capitalize()}Channels"
    route = ns.route(f"/{kind}s/<{key}>/channels")
    params = ns.doc(params={"account_id": ACCOUNT_ID_PARAM, key: f"{kind.capitalize()} id"})
    route(params(errors(401, 403, (404, f"No such {kind} in the account"))(OwnerChannels)))
