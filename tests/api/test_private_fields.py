"""Private fields stay private: on every resource, a client's ``pvt_*`` fields, CouchDB's
``_id`` / ``_rev`` and ``superduper_admin`` are dropped from creates, replaces and patches
(Kazoo keeps only a request's public fields); only a system admin makes an account a
system admin, and Kazoo's read-only ``superduper_admin`` shows which accounts are."""

from __future__ import annotations

from typing import Any

import pytest

from api.server import RunningServer
from kazoo_tasks.docstore import DocumentStore, account_db
from tests.api.samples import SAMPLES
from tests.crossbar import LoggedIn, new_account

FOREIGN_ID = "0123456789abcdef0123456789abcdef"
FORGED: dict[str, Any] = {
    "pvt_type": "account",
    "pvt_account_id": FOREIGN_ID,
    "pvt_account_db": account_db(FOREIGN_ID),
    "pvt_deleted": True,
    "pvt_created": 1,
    "pvt_vsn": "99",
    "pvt_tree": [],
    "pvt_api_key": "chosen-by-the-client",
    "pvt_superduper_admin": True,
    "pvt_password_hash": "x",
    "_id": "chosen-id",
    "_rev": "1-chosen",
    "superduper_admin": True,
}
RESOURCES = sorted(SAMPLES)


def assert_untouched(stored: dict[str, Any], pvt_type: str, account_id: str) -> None:
    """``stored`` carries the server's private fields, none of the client's."""
    assert stored["pvt_type"] == pvt_type
    assert stored["pvt_account_id"] == account_id
    assert stored["pvt_account_db"] == account_db(account_id)
    assert stored["pvt_created"] > 60_000_000_000 and stored["pvt_vsn"] != "99"
    assert "pvt_deleted" not in stored and "superduper_admin" not in stored
    assert "pvt_superduper_admin" not in stored and "pvt_password_hash" not in stored
    assert stored.get("pvt_api_key") != "chosen-by-the-client"
    assert stored["_id"] != "chosen-id"


def _public(answer: Any, code: int) -> dict[str, Any]:
    assert answer.status_code == code, answer.text
    data = answer.json()["data"]
    assert not [key for key in data if key.startswith(("pvt_", "_"))]
    return data


@pytest.mark.parametrize("resource", RESOURCES)
def test_given_private_fields_when_created_replaced_or_patched_then_dropped(
    root: LoggedIn, store: DocumentStore, resource: str
) -> None:
    sample = SAMPLES[resource]
    base = f"/accounts/{root.id}/{resource}"
    made = _public(root.client.put(base, {**sample.make(1), **FORGED}), 201)
    stored = store.get(account_db(root.id), made["id"])
    pvt_type = stored["pvt_type"]
    assert pvt_type != "account"
    assert_untouched(stored, pvt_type, root.id)
    assert "superduper_admin" not in made

    _public(root.client.post(f"{base}/{made['id']}", {**sample.make(1), **FORGED}), 200)
    assert_untouched(store.get(account_db(root.id), made["id"]), pvt_type, root.id)
    _public(root.client.patch(f"{base}/{made['id']}", FORGED), 200)
    assert_untouched(store.get(account_db(root.id), made["id"]), pvt_type, root.id)
    assert root.client.get(f"{base}/{made['id']}").status_code == 200  # not deleted


def test_given_an_account_setting_superduper_admin_on_itself_or_a_child_then_ignored(
    root: LoggedIn, store: DocumentStore, server: RunningServer
) -> None:
    stranger = new_account(store, server)
    child = _public(root.client.put(f"/accounts/{root.id}", {"name": "Kid", **FORGED}), 201)
    assert child["superduper_admin"] is False
    assert_untouched(store.get(account_db(child["id"]), child["id"]), "account", child["id"])
    for verb in (root.client.patch, root.client.post):
        for target in (root.id, child["id"]):
            name = "Kid" if target == child["id"] else root.account["name"]
            answer = verb(f"/accounts/{target}", {"name": name, **FORGED})
            assert _public(answer, 200)["superduper_admin"] is False
            assert "pvt_superduper_admin" not in store.get(account_db(target), target)
    assert root.client.get(f"/accounts/{root.id}").json()["data"]["superduper_admin"] is False
    assert root.client.get(f"/accounts/{stranger.id}").status_code == 403  # granted nothing


def test_given_a_system_admin_when_setting_superduper_admin_then_it_is_granted(
    root: LoggedIn, store: DocumentStore, server: RunningServer
) -> None:
    admin = new_account(store, server, superduper_admin=True)
    assert admin.client.get(f"/accounts/{admin.id}").json()["data"]["superduper_admin"] is True
    bad = admin.client.patch(f"/accounts/{root.id}", {"superduper_admin": "maybe"})
    assert bad.status_code == 400 and "superduper_admin" in bad.json()["data"]

    granted = admin.client.patch(f"/accounts/{root.id}", {"superduper_admin": True})
    assert _public(granted, 200)["superduper_admin"] is True
    stranger = new_account(store, server)
    assert root.client.get(f"/accounts/{stranger.id}").status_code == 200
    made = admin.client.put(f"/accounts/{root.id}", {"name": "Ops", "superduper_admin": True})
    assert _public(made, 201)["superduper_admin"] is True

    revoked = admin.client.patch(f"/accounts/{root.id}", {"superduper_admin": False})
    assert _public(revoked, 200)["superduper_admin"] is False
    assert root.client.get(f"/accounts/{stranger.id}").status_code == 403
