"""A phone registers on the switch; the admin sees it through the API, only in its own
account, until it unregisters."""

from __future__ import annotations

from kazoo_tasks.docstore import account_db
from tests.crossbar import Crossbar
from tests.e2e.conftest import Account
from tests.waiting import wait_for


def registrations(client: Crossbar, account_id: str) -> list[dict]:
    answer = client.get(f"/accounts/{account_id}/registrations")
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def test_given_a_phone_registering_on_the_switch_when_the_admin_lists_registrations_then_it_shows_until_it_unregisters(  # noqa: E501
    stack, account, store, api_server
):
    realm = store.get(account_db(account.id), account.id)["realm"]
    admin = Crossbar(api_server.url)
    admin.login(account.api_key)
    other = Account(store, "Someone else")
    outsider = Crossbar(api_server.url)
    outsider.login(other.api_key)

    stack.emulator.register("1001", realm=realm, contact_ip="192.0.2.10", contact_port=5070)

    found = wait_for(lambda: registrations(admin, account.id), 30, "the registration")
    assert [(r["username"], r["realm"], r["media_server"]) for r in found] == [
        ("1001", realm, "fs1")
    ]
    assert "192.0.2.10" in found[0]["contact"]
    assert found[0]["expires"] > 0
    assert registrations(outsider, other.id) == []
    assert outsider.get(f"/accounts/{account.id}/registrations").status_code == 403

    stack.emulator.unregister("1001", realm=realm)

    wait_for(lambda: registrations(admin, account.id) == [], 30, "the unregistration")


def device_status(client: Crossbar, account_id: str) -> dict[str, bool]:
    answer = client.get(f"/accounts/{account_id}/devices/status")
    assert answer.status_code == 200, answer.text
    return {entry["device_id"]: entry["registered"] for entry in answer.json()["data"]}


def test_given_devices_when_one_registers_on_the_switch_then_devices_status_shows_it_registered(
    stack, account, store, api_server
):
    realm = store.get(account_db(account.id), account.id)["realm"]
    admin = Crossbar(api_server.url)
    admin.login(account.api_key)
    ids = {}
    for username in ("1001", "1002"):
        made = admin.put(
            f"/accounts/{account.id}/devices",
            {"name": f"phone {username}", "sip": {"username": username, "password": "pw-123456"}},
        )
        assert made.status_code == 201, made.text
        ids[username] = made.json()["data"]["id"]
    assert device_status(admin, account.id) == {ids["1001"]: False, ids["1002"]: False}

    stack.emulator.register("1001", realm=realm, contact_ip="192.0.2.10", contact_port=5070)
    wait_for(lambda: device_status(admin, account.id)[ids["1001"]], 30, "1001 registered")
    assert device_status(admin, account.id)[ids["1002"]] is False

    stack.emulator.unregister("1001", realm=realm)
    wait_for(lambda: not device_status(admin, account.id)[ids["1001"]], 30, "1001 unregistered")
