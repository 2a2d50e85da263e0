"""Soft deletes as Kazoo does them, over real HTTP on both document back ends: DELETE marks
``pvt_deleted``; the document is then neither listed nor readable, a deleted callflow no
longer routes and frees its numbers, a system admin restores, and the housekeeping task
(through a real Celery worker) purges it after the retention time."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker

from api.server import RunningServer
from api.switch.directory import Directory
from callflow.endpoints import CallContext, EndpointReader
from callflow.router import NoRoute, Route, number_owner, route
from kazoo_tasks.celery_app import make_app
from kazoo_tasks.clock import now_gregorian
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore, NotFound, account_db
from kazoo_tasks.docstore.soft_delete import purge_deleted
from tests.api.conftest import settings_store
from tests.crossbar import LoggedIn, new_account
from tests.waiting import wait_for
from workers.housekeeping import PURGE_TASK

DID = "+14155550142"


@pytest.fixture
def api_settings(store_in_settings: Settings) -> Settings:
    """Settings naming the store (a worker opens the same one); deleted documents kept 0 s."""
    return store_in_settings.with_overrides(soft_delete_retention=0)


@pytest.fixture
def store(api_settings: Settings) -> Iterator[DocumentStore]:
    yield from settings_store(api_settings)


def callflow(number: str) -> dict:
    return {
        "name": "main",
        "numbers": [number],
        "flow": {"module": "hangup", "data": {}, "children": {}},
    }


def test_given_a_document_when_deleted_then_hidden_but_kept_and_restorable_by_a_system_admin(
    root: LoggedIn, store: DocumentStore, server: RunningServer
) -> None:
    devices = f"/accounts/{root.id}/devices"
    made = root.client.put(devices, {"name": "desk phone"}).json()["data"]
    kept = root.client.put(devices, {"name": "other phone"}).json()["data"]
    path = f"{devices}/{made['id']}"

    deleted = root.client.delete(path)
    assert deleted.status_code == 200 and deleted.json()["data"]["name"] == "desk phone"

    assert root.client.get(path).status_code == 404
    assert root.client.get(path).json()["message"] == "bad_identifier"
    assert [d["id"] for d in root.client.get(devices).json()["data"]] == [kept["id"]]
    for method, data in (("PATCH", {"name": "x"}), ("POST", {"name": "x"}), ("DELETE", None)):
        assert root.client.request(method, path, data).status_code == 404
    stored = store.get(account_db(root.id), made["id"])
    assert stored["pvt_deleted"] is True and stored["name"] == "desk phone"

    assert root.client.put(f"{path}/restore").status_code == 403  # not a system admin
    admin = new_account(store, server, superduper_admin=True)
    restored = admin.client.put(f"{path}/restore")
    assert restored.status_code == 200, restored.text
    assert root.client.get(path).json()["data"]["name"] == "desk phone"
    assert len(root.client.get(devices).json()["data"]) == 2
    assert admin.client.put(f"{path}/restore").status_code == 404  # not deleted any more
    assert "pvt_deleted" not in store.get(account_db(root.id), made["id"])


def test_given_a_deleted_user_when_its_token_or_its_username_are_used_then_gone(
    root: LoggedIn,
) -> None:
    from tests.api.test_tokens import make_user, user_login

    users = f"/accounts/{root.id}/users"
    user_id = make_user(root, "leaver", "pw-leave")
    token = user_login(root.client, root, "leaver", "pw-leave")
    assert root.client.delete(f"{users}/{user_id}").status_code == 200
    assert root.client.get(f"/accounts/{root.id}", token=token).status_code == 401
    login = root.client.put(
        "/user_auth",
        {"username": "leaver", "password": "pw-leave", "account_name": root.account["name"]},
        token="",
    )
    assert login.status_code == 401
    # the username is free again
    assert make_user(root, "leaver", "pw-new") != user_id


def test_given_a_deleted_callflow_then_it_stops_routing_frees_its_did_and_restores_only_if_free(
    root: LoggedIn, store: DocumentStore, server: RunningServer
) -> None:
    callflows = f"/accounts/{root.id}/callflows"
    made = root.client.put(callflows, callflow(DID)).json()["data"]
    assert isinstance(route(store, None, DID), Route)
    assert number_owner(store, DID) == root.id

    assert root.client.delete(f"{callflows}/{made['id']}").status_code == 200
    assert isinstance(route(store, None, DID), NoRoute)
    assert isinstance(route(store, root.id, DID), NoRoute)
    assert number_owner(store, DID) is None

    other = new_account(store, server)
    taken = other.client.put(f"/accounts/{other.id}/callflows", callflow(DID))
    assert taken.status_code == 201
    admin = new_account(store, server, superduper_admin=True)
    refused = admin.client.put(f"{callflows}/{made['id']}/restore")
    assert refused.status_code == 400
    assert "unique" in refused.json()["data"]["numbers"]
    assert root.client.get(f"{callflows}/{made['id']}").status_code == 404

    other.client.delete(f"/accounts/{other.id}/callflows/{taken.json()['data']['id']}")
    assert admin.client.put(f"{callflows}/{made['id']}/restore").status_code == 200
    found = route(store, None, DID)
    assert isinstance(found, Route) and found.callflow["_id"] == made["id"]


def test_given_deleted_documents_when_the_purge_task_runs_then_gone_after_the_retention(
    root: LoggedIn, store: DocumentStore, api_settings: Settings
) -> None:
    devices = f"/accounts/{root.id}/devices"
    doomed = root.client.put(devices, {"name": "old"}).json()["data"]["id"]
    alive = root.client.put(devices, {"name": "alive"}).json()["data"]["id"]
    assert root.client.delete(f"{devices}/{doomed}").status_code == 200
    db = account_db(root.id)

    # within the retention (here: deleted less than an hour ago) nothing goes
    assert purge_deleted(store, now_gregorian() - 3600) == 0
    assert store.get(db, doomed)["pvt_deleted"] is True

    time.sleep(1.1)  # the retention is 0 s: anything deleted before this second goes
    app = make_app(api_settings)
    # the purge walks every account database of the store (on the shared test CouchDB:
    # every test's), so it may still be running when ours is done: let it finish
    with start_worker(
        app, pool="threads", concurrency=1, perform_ping_check=False, shutdown_timeout=120
    ):
        app.send_task(PURGE_TASK)

        def purged() -> bool:
            try:
                store.get(db, doomed)
            except NotFound:
                return True
            return False

        wait_for(purged)
    assert store.get(db, alive)["name"] == "alive"
    assert root.client.get(f"{devices}/{alive}").status_code == 200


def test_given_a_deleted_device_and_user_when_the_switch_or_a_callflow_reaches_them_then_gone(
    root: LoggedIn, store: DocumentStore
) -> None:
    """The SIP directory no longer lets a deleted device authenticate, and callflows no
    longer ring a deleted device, nor a deleted user's devices."""
    realm = root.account["realm"]
    users, devices = f"/accounts/{root.id}/users", f"/accounts/{root.id}/devices"
    owner = root.client.put(users, {"first_name": "O", "last_name": "W"}).json()["data"]["id"]
    device = {
        "name": "desk",
        "owner_id": owner,
        "sip": {"username": "desk1", "password": "pw-desk-1"},
    }
    made = root.client.put(devices, device)
    assert made.status_code == 201, made.text
    device_id = made.json()["data"]["id"]
    reader = EndpointReader(
        store, CallContext(account_id=root.id, realm=realm), lambda realm, user: None
    )
    assert Directory(store).lookup("desk1", realm) is not None
    assert len(reader.device(device_id)) == 1 and len(reader.user(owner)) == 1

    assert root.client.delete(f"{users}/{owner}").status_code == 200
    assert reader.user(owner) == []
    assert root.client.delete(f"{devices}/{device_id}").status_code == 200
    assert Directory(store).lookup("desk1", realm) is None
    assert reader.device(device_id) == []
