"""A phone authenticates with the credentials of its device document: it registers
through the switch's directory look-up (a wrong password is refused), then calls, and
its call reaches its account's callflow with no dialplan trick: the account comes from
the directory's variables on the channel (the number matches only a pattern of that
account, which no system-wide number index knows)."""

from __future__ import annotations

import pytest

from api.devices.resource import SPEC as DEVICES
from api.documents import DocumentService
from api.server import RunningServer
from kazoo_tasks.docstore import ACCOUNTS_DB, account_db
from kazoo_tasks.esl.emulator import CallRefused, Credentials
from kazoo_tasks.keys import registration_key
from tests.e2e.conftest import TONE, Account, node
from tests.waiting import wait_for

REALM = "e2e.sip.example.net"


def test_given_a_device_document_when_its_phone_registers_and_calls_then_the_call_runs_in_its_account(  # noqa: E501
    stack, store, account: Account, redis_client, api_server: RunningServer
):
    for db in (ACCOUNTS_DB, account_db(account.id)):
        doc = store.get(db, account.id)
        store.save(db, {**doc, "realm": REALM})
    device = DocumentService(store, DEVICES).create(
        account.id, {"name": "Desk", "sip": {"username": "1001", "password": "desk-secret"}}
    )
    flow = node("answer", then=node("play", {"id": TONE}, then=node("hangup")))
    data = {"name": "extensions", "patterns": ["^2\\d{3}$"], "flow": flow}
    callflow_id = account.callflows.create(account.id, data)["_id"]
    phone = Credentials("1001", "desk-secret", REALM, contact_port=5070)
    emulator = stack.emulator

    assert emulator.register("1001", realm=REALM, password="wrong-secret") == 403
    assert emulator.register("1001", realm=REALM, password="desk-secret") == 200
    key = registration_key(stack.settings.namespace, REALM, "1001")
    wait_for(lambda: redis_client.get(key), timeout=15, what="the registration in Redis")
    with pytest.raises(CallRefused):
        emulator.place_call("2001", credentials=Credentials("1001", "nope-nope", REALM))

    call = emulator.place_call("2001", caller_id_number="1001", credentials=phone)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [c.app for c in call.commands if c.kind == "execute"] == ["answer", "playback"]
    cdr = wait_for(lambda: account.cdr(call.uuid), timeout=30.0, what="the CDR")
    assert cdr["callflow_id"] == callflow_id
    assert device["_id"] in str(cdr)
