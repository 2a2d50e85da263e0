"""``/v2/accounts/{account_id}/channels``: the live calls of an account and its
descendants (GET list), ``/channels/{call_id}``: one of them (GET), and Kazoo's
``/users/{user_id}/channels`` and ``/devices/{device_id}/channels``: the live calls of
one user or device of the account."""

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

    users, devices = context.documents["users"], context.documents["devices"]

    @ns.route("/users/<user_id>/channels")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM, "user_id": "User id"})
    @errors(401, 403, (404, "No such user in the account"))
    class UserChannels(Resource):
        method_decorators = SCOPED

        @ns.doc("list_user_channels")
        @ns.response(200, "Live calls from or to the user's devices, oldest first", models.listing)
        def get(self, account_id: str, user_id: str) -> Any:
            users.read(account_id, user_id)
            channels = service.of_user(account_id, user_id)
            return ok(channels, extra={"page_size": len(channels)})

    @ns.route("/devices/<device_id>/channels")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM, "device_id": "Device id"})
    @errors(401, 403, (404, "No such device in the account"))
    class DeviceChannels(Resource):
        method_decorators = SCOPED

        @ns.doc("list_device_channels")
        @ns.response(200, "Live calls from the device or ringing it, oldest first", models.listing)
        def get(self, account_id: str, device_id: str) -> Any:
            devices.read(account_id, device_id)
            channels = service.of_device(account_id, device_id)
            return ok(channels, extra={"page_size": len(channels)})
