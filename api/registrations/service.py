"""Live registrations of an account's realm, from ecallmgr's registration records in
Redis (``workers/registrations.py`` keeps one per realm and user, expiring with it). As in
Kazoo, an account sees the registrations of its own realm."""

from __future__ import annotations

import json
from typing import Any

import redis

from api.accounts.service import AccountService
from kazoo_tasks.clock import to_gregorian
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore
from kazoo_tasks.keys import registration_pattern
from schemas.registrations import RegistrationSchema


def registration_view(record: dict[str, Any]) -> dict[str, Any]:
    """A stored registration record as Kazoo's registration object."""
    view = {
        "username": record["user"],
        "realm": record["realm"],
        "contact": record.get("contact"),
        "network_ip": record.get("network_ip"),
        "network_port": record.get("network_port"),
        "user_agent": record.get("user_agent"),
        "call_id": record.get("sip_call_id"),
        "expires": record.get("expires"),
        "event_timestamp": to_gregorian(record.get("registered_at", 0)),
        "media_server": record.get("node"),
        "profile": record.get("profile"),
    }
    return RegistrationSchema().dump({k: v for k, v in view.items() if v not in (None, "")})


class RegistrationService:
    """The live registrations an account may see."""

    def __init__(self, client: redis.Redis, settings: Settings, store: DocumentStore) -> None:
        self.client = client
        self.namespace = settings.namespace
        self.accounts = AccountService(store)

    def list(self, account_id: str) -> list[dict[str, Any]]:
        """Registrations in the account's realm, by username."""
        return [registration_view(r) for r in self._records(account_id)]

    def registered_usernames(self, account_id: str) -> set[str]:
        """The SIP usernames registered in the account's realm right now."""
        return {record["user"] for record in self._records(account_id)}

    def _records(self, account_id: str) -> list[dict[str, Any]]:
        """The registration records of the account's realm, by username."""
        realm = self.accounts.read(account_id).get("realm")
        if not realm:
            return []
        keys = sorted(self.client.scan_iter(registration_pattern(self.namespace, realm), 500))
        pipe = self.client.pipeline(transaction=False)  # one GET each: they span slots
        for key in keys:
            pipe.get(key)
        records = [json.loads(raw) for raw in pipe.execute() if raw]
        return sorted(records, key=lambda r: r["user"])
