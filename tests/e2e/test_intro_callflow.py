"""Kazoo's introductory callflow: a ``user`` node with ``voicemail`` on ``_``.

The user's phone registers with the credentials of its device document (the switch asks
the API's directory), rings and is not answered; the caller leaves a message, which the
vmbox messages API then lists and serves."""

from __future__ import annotations

import pytest

from api.devices.resource import SPEC as DEVICES
from api.documents import DocumentService
from api.users.resource import SPEC as USERS
from kazoo_tasks.docstore import ACCOUNTS_DB, account_db
from kazoo_tasks.esl.emulator import script as s
from kazoo_tasks.keys import registration_key
from tests.e2e.conftest import node
from tests.e2e.voicemail_kit import Office, applications, start_office
from tests.waiting import wait_for

REALM = "intro.sip.example.net"
SWITCH_PASSWORD = "intro-switch"


@pytest.fixture
def office(settings, store, account, stack_factory):
    yield from start_office(
        settings, store, account, stack_factory, switch_password=SWITCH_PASSWORD
    )


def test_given_a_user_whose_phone_does_not_answer_when_a_caller_leaves_a_message_then_it_is_in_the_vmbox_api_and_downloadable(  # noqa: E501
    office: Office, redis_client
):
    store, account, emulator = office.store, office.account, office.stack.emulator
    for db in (ACCOUNTS_DB, account_db(account.id)):
        store.save(db, {**store.get(db, account.id), "realm": REALM})
    user = DocumentService(store, USERS).create(
        account.id, {"first_name": "Alice", "last_name": "Example", "username": "alice"}
    )["_id"]
    DocumentService(store, DEVICES).create(
        account.id,
        {
            "name": "Alice's desk",
            "owner_id": user,
            "sip": {"username": "alice", "password": "alice-secret"},
        },
    )
    box = office.box("2001", owner_id=user)
    host_port = office.server.url.removeprefix("http://")
    emulator.directory_url = f"http://fs:{SWITCH_PASSWORD}@{host_port}/switch/directory"
    assert emulator.register("alice", realm=REALM, password="alice-secret") == 200
    key = registration_key(office.stack.settings.namespace, REALM, "alice")
    wait_for(lambda: redis_client.get(key), timeout=15, what="alice's registration")
    emulator.set_endpoint("sofia/*/alice@*", no_answer=True)
    account.callflow(
        ["2001"],
        node("user", {"id": user, "timeout": 4}, then=node("voicemail", {"id": box})),
    )

    call = office.call(
        "2001",
        script=[
            s.on_app("record").wait(3).press("#"),
            s.on_app("play_and_get_digits").wait(0.3).press("1"),
        ],
        caller_id_name="Bob",
        caller_id_number="+15550123",
    )

    assert call.wait_hangup(timeout=60) == "NORMAL_CLEARING"
    apps = [app for app, _ in applications(call)]
    assert apps.index("bridge") < apps.index("answer") < apps.index("record")
    [bridge] = [args for app, args in call.applications if app == "bridge"]
    assert "alice@" in bridge
    [message] = office.wait_messages(box, 1)
    assert message["folder"] == "new"
    assert (message["caller_id_number"], message["caller_id_name"]) == ("+15550123", "Bob")
    assert message["length"] >= 2500
    one = office.api.get(f"/accounts/{account.id}/vmboxes/{box}/messages/{message['media_id']}")
    assert one.status_code == 200 and one.json()["data"]["call_id"] == call.uuid
    audio = office.wait_download(f"/vmboxes/{box}/messages/{message['media_id']}/raw")
    assert audio.headers["Content-Type"].startswith("audio/mpeg") and len(audio.content) > 8000
    trace = account.wait_cdr(call.uuid)["trace"]
    modules = [e.get("module") for e in trace if e.get("step") == "start"]
    assert modules[:2] == ["user", "voicemail"]
