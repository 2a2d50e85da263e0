"""``/v2/accounts/{account_id}/users``: the generic CRUD resource, plus
``users/{id}/hotdesks`` (GET): the devices the user is logged in to (Kazoo's
cb_hotdesks), each as ``device_id``, ``device_name``, ``owner_id``."""

from __future__ import annotations

from typing import Any

from flask_restx import Resource

from api.context import ApiContext
from api.crud import ACCOUNT_ID_PARAM, SCOPED, CrudRoutes
from api.documents import ResourceSpec
from api.http import ok
from api.swagger import ErrorDocs, SharedModels, add_model, envelope
from api.users import schema, service
from callflow.hotdesks import hotdesk_devices

SPEC = ResourceSpec("users", schema.DOCUMENT, schema.SUMMARY, service.RULES)
HOTDESK_ENTRY = {
    "type": "object",
    "properties": {
        "device_id": {"type": "string"},
        "device_name": {"type": "string"},
        "owner_id": {"type": "string"},
    },
}


def extend(routes: CrudRoutes, context: ApiContext, shared: SharedModels) -> None:
    """Add ``users/{id}/hotdesks``."""
    ns = routes.namespace
    users = routes.service
    errors = ErrorDocs(ns, shared.error)
    listing = add_model(
        routes.api, "UserHotdesksEnvelope", envelope({"type": "array", "items": HOTDESK_ENTRY})
    )

    @ns.route("/<doc_id>/hotdesks")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM, "doc_id": "User id"})
    @errors(401, 403, 404)
    class Hotdesks(Resource):
        method_decorators = SCOPED

        @ns.doc("list_user_hotdesks")
        @ns.response(200, "The devices the user is logged in to", listing)
        def get(self, account_id: str, doc_id: str) -> Any:
            user_id = str(users.read(account_id, doc_id)["_id"])
            devices = hotdesk_devices(context.store, account_id, user_id)
            return ok(
                [
                    {
                        "device_id": device["_id"],
                        "device_name": device.get("name", ""),
                        "owner_id": device.get("owner_id", ""),
                    }
                    for device in devices
                ]
            )
