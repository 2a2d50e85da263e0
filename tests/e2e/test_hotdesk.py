"""Hotdesking on the whole pipeline: a user types her hotdesk id and PIN on a phone and is
logged in to it (and out of the phone she was on), logs out with a feature code, is rung
on the phone she is logged in to, and the admin sees where she is through the API."""

from __future__ import annotations

import pytest

from api.devices.resource import SPEC as DEVICES
from api.documents import DocumentService
from api.errors import ValidationFailed
from api.users.resource import SPEC as USERS
from kazoo_tasks.docstore import ACCOUNTS_DB, account_db
from kazoo_tasks.esl.emulator import script as s
from kazoo_tasks.keys import registration_key
from tests.crossbar import Crossbar
from tests.e2e.conftest import node
from tests.waiting import wait_for

REALM = "hotdesk.sip.example.net"


@pytest.fixture
def office(store, account) -> dict[str, str]:
    """A user who may hotdesk (id 5001, PIN 1234) logged in to the spare phone, and the
    desk phone she calls from."""
    for db in (account_db(account.id), ACCOUNTS_DB):
        store.save(db, {**store.get(db, account.id), "realm": REALM})
    hotdesk = {"enabled": True, "id": "5001", "pin": "1234", "require_pin": True}
    user = DocumentService(store, USERS).create(
        account.id, {"first_name": "Hot", "last_name": "Desk", "hotdesk": hotdesk}
    )["_id"]
    devices = DocumentService(store, DEVICES)
    desk = devices.create(account.id, {"name": "desk", "sip": {"username": "7001"}})["_id"]
    spare = devices.create(
        account.id,
        {"name": "spare", "sip": {"username": "7002"}, "hotdesk": {"users": {user: {}}}},
    )["_id"]
    return {"user": user, "desk": desk, "spare": spare}


def seated(store, account, device_id: str) -> list[str]:
    device = store.get(account_db(account.id), device_id)
    return sorted((device.get("hotdesk") or {}).get("users") or {})


def from_phone(account, device_id: str, owner: str = "") -> dict[str, str]:
    variables = {
        **account.variables,
        "ecallmgr_Authorizing-ID": device_id,
        "ecallmgr_Authorizing-Type": "device",
    }
    if owner:
        variables["ecallmgr_Owner-ID"] = owner
    return variables


def typing(*entries: str) -> list[s.Step]:
    return [
        s.on_app("play_and_get_digits", nth=n).wait(5).press(e) for n, e in enumerate(entries, 1)
    ]


def test_given_a_user_typing_her_hotdesk_id_and_pin_when_she_logs_in_then_the_phone_is_hers_and_the_api_shows_it(  # noqa: E501
    stack, store, account, office, api_server
):
    account.callflow(["*11"], node("hotdesk", {"action": "login"}))

    call = stack.emulator.place_call(
        "*11", variables=from_phone(account, office["desk"]), script=typing("5001#", "1234#")
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert seated(store, account, office["desk"]) == [office["user"]]
    assert seated(store, account, office["spare"]) == []
    plays = [c.args for c in call.commands if c.app == "playback"]
    assert plays[-2:] == ["ivr/ivr-you_are_now_logged_in.wav", "voicemail/vm-goodbye.wav"]
    admin = Crossbar(api_server.url)
    admin.login(account.api_key)
    listed = admin.get(f"/accounts/{account.id}/users/{office['user']}/hotdesks")
    assert listed.status_code == 200, listed.text
    assert [(d["device_id"], d["device_name"]) for d in listed.json()["data"]] == [
        (office["desk"], "desk")
    ]
    assert admin.get(f"/accounts/{account.id}/users/{'0' * 32}/hotdesks").status_code == 404


def test_given_a_wrong_pin_three_times_then_nothing_changes(stack, store, account, office):
    account.callflow(["*11"], node("hotdesk", {"action": "login", "id": office["user"]}))

    call = stack.emulator.place_call(
        "*11", variables=from_phone(account, office["desk"]), script=typing("1#", "2#", "3#")
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [c.app for c in call.commands].count("play_and_get_digits") == 3
    assert seated(store, account, office["desk"]) == []
    assert seated(store, account, office["spare"]) == [office["user"]]


def test_given_the_logout_code_from_her_phone_then_she_is_logged_out_everywhere(
    stack, store, account, office
):
    account.callflow(["*12"], node("hotdesk", {"action": "logout"}))

    call = stack.emulator.place_call(
        "*12", variables=from_phone(account, office["desk"], owner=office["user"])
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert seated(store, account, office["spare"]) == []
    assert "play_and_get_digits" not in [c.app for c in call.commands]


def test_given_toggle_then_she_is_logged_out_then_in_again(stack, store, account, office):
    data = {"action": "toggle", "id": office["user"]}
    account.callflow(["*13"], node("hotdesk", data))
    variables = from_phone(account, office["desk"])

    out = stack.emulator.place_call("*13", variables=variables)
    assert out.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert seated(store, account, office["spare"]) == []

    back = stack.emulator.place_call("*13", variables=variables, script=typing("1234#"))
    assert back.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert seated(store, account, office["desk"]) == [office["user"]]


def test_given_bridge_or_her_user_then_the_phone_she_is_logged_in_to_rings(
    stack, store, account, office, redis_client
):
    stack.emulator.register("7002", realm=REALM)
    stack.emulator.set_endpoint("sofia/*/7002@*", answer_after=0.2, hangup_after=0.3)
    wait_for(
        lambda: redis_client.get(registration_key(stack.settings.namespace, REALM, "7002")),
        15,
        "the spare phone's registration",
    )
    account.callflow(["5001"], node("hotdesk", {"action": "bridge", "id": office["user"]}))
    account.callflow(["5002"], node("user", {"id": office["user"]}))

    for number in ("5001", "5002"):
        call = stack.emulator.place_call(number, variables=account.variables)

        assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
        bridges = [c.args for c in call.commands if c.app == "bridge"]
        assert len(bridges) == 1 and "7002@" in bridges[0], number


def test_given_a_bad_action_when_saved_then_it_is_refused(account):
    with pytest.raises(ValidationFailed, match="flow.data.action"):
        account.callflow(["*14"], node("hotdesk", {"action": "sit"}))
