"""Hotdesking as Kazoo stores it: a user logged in to a device is a key of the device's
``hotdesk.users`` (``{"<user id>": {}}``); a user's ``hotdesk.id`` is what she types to
log in from any phone. Used by the ``hotdesk`` module and the ``users/{id}/hotdesks``
API."""

from __future__ import annotations

from typing import Any

from kazoo_tasks.clock import now_gregorian
from kazoo_tasks.docstore import Conflict, DocumentStore, NotFound, account_db
from kazoo_tasks.docstore.base import Document
from kazoo_tasks.docstore.soft_delete import is_deleted

MAX_SAVE_TRIES = 5


def _users_of(device: Document) -> dict[str, Any]:
    hotdesk = device.get("hotdesk")
    users = hotdesk.get("users") if isinstance(hotdesk, dict) else None
    return users if isinstance(users, dict) else {}


def hotdesk_devices(store: DocumentStore, account_id: str, user_id: str) -> list[Document]:
    """The account's devices ``user_id`` is logged in to, by id."""
    found = store.find(account_db(account_id), {"pvt_type": "device"})
    return [d for d in found if not is_deleted(d) and user_id in _users_of(d)]


def user_by_hotdesk_id(store: DocumentStore, account_id: str, hotdesk_id: str) -> Document | None:
    """The account's user whose ``hotdesk.id`` is ``hotdesk_id`` (None: none, or several)."""
    found = [
        user
        for user in store.find(account_db(account_id), {"pvt_type": "user"})
        if not is_deleted(user)
        and isinstance(user.get("hotdesk"), dict)
        and str(user["hotdesk"].get("id") or "") == hotdesk_id
    ]
    return dict(found[0]) if len(found) == 1 else None


def set_seat(
    store: DocumentStore, account_id: str, device_id: str, user_id: str, seated: bool
) -> bool | None:
    """Log ``user_id`` in to (``seated``) or out of device ``device_id``; True when the
    device changed, False when it already was so, None when there is no such device."""
    db = account_db(account_id)
    for _ in range(MAX_SAVE_TRIES):
        try:
            device = dict(store.get(db, device_id))
        except NotFound:
            return None
        if device.get("pvt_type") != "device" or is_deleted(device):
            return None
        users = dict(_users_of(device))
        if (user_id in users) == seated:
            return False
        if seated:
            users[user_id] = {}
        else:
            users.pop(user_id)
        hotdesk = device.get("hotdesk") if isinstance(device.get("hotdesk"), dict) else {}
        device["hotdesk"] = {**hotdesk, "users": users}
        device["pvt_modified"] = now_gregorian()
        try:
            store.save(db, device)
        except Conflict:
            continue
        return True
    raise Conflict(f"device {device_id} kept changing")
