"""``GET /v2/accounts/{account_id}/devices/status``: whether each device of the account is
registered now, from the registrations the switch reports (:mod:`api.registrations`): a
device is registered when its ``sip.username`` is registered in the account's realm.
Kazoo's shape (``device_id``, ``registered``); every device is listed, the unregistered
ones with ``registered: false``."""

from __future__ import annotations

from typing import Any

from api.context import ApiContext
from api.crud import ACCOUNT_ID_PARAM, CrudRoutes
from api.documents import Document
from api.listing import ListQuery
from api.read_routes import read_route
from api.registrations.service import RegistrationService
from api.swagger import ErrorDocs, SharedModels, view_models
from schemas.registrations import DeviceStatusSchema

ALL = ListQuery(paginate=False)


def device_status(device: Document, registered: set[str]) -> dict[str, Any]:
    """One device's entry: its id and whether its SIP username is registered."""
    username = (device.get("sip") or {}).get("username")
    return {"device_id": device["_id"], "registered": username in registered}


def extend(routes: CrudRoutes, context: ApiContext, shared: SharedModels) -> None:
    """Add ``devices/status`` to the devices namespace."""
    ns = routes.namespace
    registrations = RegistrationService(context.redis, context.settings, context.store)
    models = view_models(routes.api, "DeviceStatus", DeviceStatusSchema)
    errors = ErrorDocs(ns, shared.error)

    def read(account_id: str) -> list[dict[str, Any]]:
        registered = registrations.registered_usernames(account_id)
        devices = routes.service.list(account_id, ALL).docs
        return [device_status(device, registered) for device in devices]

    read_route(
        ns, errors, "/status", params={"account_id": ACCOUNT_ID_PARAM},
        operation="devices_status", description="Each device and whether it is registered now",
        read=read, model=models.listing, listing=True,
    )  # fmt: skip
