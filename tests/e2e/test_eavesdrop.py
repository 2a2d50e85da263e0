"""Eavesdropping on the whole pipeline: a supervisor dials the eavesdrop code from her
approved phone and listens to the call an agent's phone is on, until it ends; a phone
that is not approved, or an agent on no call, gets nothing."""

from __future__ import annotations

import pytest

from api.documents import DocumentService
from api.errors import ValidationFailed
from api.groups.resource import SPEC as GROUPS
from tests.e2e.conftest import agent_on_the_call, from_phone, node


@pytest.mark.parametrize("approval", ["approved_device_id", "approved_group_id"])
def test_given_an_approved_supervisor_when_she_dials_the_code_then_she_listens_until_the_call_ends(  # noqa: E501
    stack, store, account, floor, approval, redis_client
):
    approved = floor["chief"]
    if approval == "approved_group_id":
        members = {floor["chief"]: {"type": "device"}}
        group = {"name": "supervisors", "endpoints": members}
        approved = DocumentService(store, GROUPS).create(account.id, group)["_id"]
    data = {approval: approved, "user_id": floor["agent"]}
    account.callflow(["*33"], node("eavesdrop", data))
    customer = stack.emulator.place_call("2101", variables=account.variables)
    customer.wait_for_event("CHANNEL_BRIDGE", timeout=30)
    agent_on_the_call(stack, account, floor, redis_client)

    chief = stack.emulator.place_call("*33", variables=from_phone(account, floor["chief"]))

    listening = chief.wait_for_command("eavesdrop", timeout=30)
    assert listening.args == customer.uuid
    assert [(c.app, c.args) for c in chief.commands if c.kind == "execute"] == [
        ("answer", ""),
        ("set", "eavesdrop_enable_dtmf=true"),
        ("eavesdrop", customer.uuid),
    ]
    assert chief.is_up
    customer.hangup()
    assert chief.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    notes = [e.get("note", "") for e in account.wait_cdr(chief.uuid)["trace"]]
    assert f"listening to {customer.uuid}" in notes


def test_given_a_phone_that_is_not_approved_then_it_hears_nothing(
    stack, account, floor, redis_client
):
    data = {"approved_device_id": floor["chief"], "device_id": floor["phone"]}
    account.callflow(["*33"], node("eavesdrop", data))
    customer = stack.emulator.place_call("2101", variables=account.variables)
    customer.wait_for_event("CHANNEL_BRIDGE", timeout=30)
    agent_on_the_call(stack, account, floor, redis_client)  # there is a call to refuse

    intruder = stack.emulator.place_call("*33", variables=from_phone(account, floor["phone"]))

    assert intruder.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert "eavesdrop" not in [c.app for c in intruder.commands]
    customer.hangup()


def test_given_an_agent_on_no_call_then_there_is_nothing_to_listen_to(stack, account, floor):
    data = {"approved_user_id": floor["agent"], "user_id": floor["agent"]}
    account.callflow(["*34"], node("eavesdrop", data))

    call = stack.emulator.place_call("*34", variables=from_phone(account, floor["phone"]))

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert "eavesdrop" not in [c.app for c in call.commands]
    notes = [e.get("note", "") for e in account.wait_cdr(call.uuid)["trace"]]
    assert "no call" in notes


def test_given_bad_eavesdrop_data_when_saved_then_it_is_refused(account):
    with pytest.raises(ValidationFailed, match="flow.data.user_id"):
        account.callflow(["*35"], node("eavesdrop", {"user_id": ""}))
