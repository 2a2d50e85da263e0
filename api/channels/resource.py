"""``/v2/accounts/{account_id}/channels``: the live calls of an account and its
descendants (GET list), and ``/channels/{call_id}``: one of them (GET)."""

from __future__ import annotations

from typing import Any

from flask_restx import Resource

from api.channels.service import ChannelService
from api.context import ApiContext
from api.crud import ACCOUNT_ID_PARAM, SCOPED
from api.http import ok
from api.swagger import ErrorDocs, SharedModels, add_model, envelope, ref, view_models
from schemas.channels import ChannelSchema


def register(api: Any, context: ApiContext, shared: SharedModels) -> None:
    """Add the channel routes."""
    ns = api.namespace(
        "channels",
        path="/accounts/<account_id>/channels",
        description="Live calls of an account and its descendants",
    )
    service = ChannelService(context.redis, context.settings, context.store)
    models = view_models(api, "Channel", ChannelSchema)
    one = add_model(api, "ChannelEnvelope", envelope(ref(models.item)), [models.item])
    errors = ErrorDocs(ns, shared.error)

    @ns.route("")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM})
    @errors(401, 403)
    class Channels(Resource):
        method_decorators = SCOPED

        @ns.doc("list_channels")
        @ns.response(200, "The live calls, oldest first", models.listing)
        def get(self, account_id: str) -> Any:
            channels = service.list(account_id)
            return ok(channels, extra={"page_size": len(channels)})

    @ns.route("/<call_id>")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM, "call_id": "Call-ID of the channel"})
    @errors(401, 403, (404, "No such live call in reach"))
    class Channel(Resource):
        method_decorators = SCOPED

        @ns.doc("get_channel")
        @ns.response(200, "The live call", one)
        def get(self, account_id: str, call_id: str) -> Any:
            return ok(service.read(account_id, call_id))
