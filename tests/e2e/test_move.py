"""Moving a call to another of one's phones (Kazoo's cf_move), on the whole pipeline: the
agent talks on his desk phone, dials the move code from his mobile, and the other party
is now talking to the mobile; the desk phone's channel hangs up PICKED_OFF, and the other
party's own flow neither goes on nor hangs up. Nothing to move, too much to move, or a
caller without an owner gets nothing."""

from __future__ import annotations

import pytest

from api.devices.resource import SPEC as DEVICES
from api.documents import DocumentService
from api.errors import ValidationFailed
from callflow.live_calls import calls_with
from kazoo_tasks.keys import registration_key
from tests.e2e.conftest import FLOOR_REALM, agent_on_the_call, from_phone, node
from tests.waiting import wait_for

MOVE = "*6"


@pytest.fixture
def mobile(stack, store, account, floor) -> str:
    """The agent's second phone (it only places calls here), and the move code."""
    account.callflow([MOVE], node("move"))
    doc = {"name": "mobile", "owner_id": floor["agent"], "sip": {"username": "7109"}}
    return DocumentService(store, DEVICES).create(account.id, doc)["_id"]


def from_agent(account, floor, device: str) -> dict[str, str]:
    return {**from_phone(account, device), "ecallmgr_Owner-ID": floor["agent"]}


def notes_of(account, call_id: str) -> list[str]:
    return [t.get("note", "") for t in account.wait_cdr(call_id)["trace"]]


def test_given_a_customer_talking_to_the_desk_when_the_agent_moves_then_she_talks_to_the_mobile(
    stack, account, floor, mobile, redis_client
):
    customer = stack.emulator.place_call("2101", variables=account.variables)
    desk = customer.wait_for_leg(1, timeout=30)
    customer.wait_for_event("CHANNEL_BRIDGE", timeout=30)
    agent_on_the_call(stack, account, floor, redis_client)

    moved = stack.emulator.place_call(MOVE, variables=from_agent(account, floor, mobile))

    assert desk.wait_hangup(timeout=30) == "PICKED_OFF"
    moved.wait_for_event("CHANNEL_BRIDGE", timeout=30)
    assert ("intercept", customer.uuid) in [(c.app, c.args) for c in moved.commands]
    assert customer.is_up and moved.is_up
    moved.hangup()
    assert customer.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert "picked off: bridged to the interceptor" in notes_of(account, customer.uuid)
    assert f"moving {customer.uuid}" in notes_of(account, moved.uuid)


def test_given_the_agent_calling_from_the_desk_when_he_moves_then_the_callee_talks_to_the_mobile(
    stack, redis_client, account, floor, mobile
):
    stack.emulator.register("7102", realm=FLOOR_REALM)
    stack.emulator.set_endpoint("sofia/*/7102@*", answer_after=0.2)
    key = registration_key(stack.settings.namespace, FLOOR_REALM, "7102")
    wait_for(lambda: redis_client.get(key), 15, "the colleague's registration")
    account.callflow(["2102"], node("device", {"id": floor["chief"]}))
    desk = stack.emulator.place_call("2102", variables=from_agent(account, floor, floor["phone"]))
    callee = desk.wait_for_leg(1, timeout=30)
    desk.wait_for_event("CHANNEL_BRIDGE", timeout=30)
    agent_on_the_call(stack, account, floor, redis_client)

    moved = stack.emulator.place_call(MOVE, variables=from_agent(account, floor, mobile))

    assert desk.wait_hangup(timeout=30) == "PICKED_OFF"
    moved.wait_for_event("CHANNEL_BRIDGE", timeout=30)
    assert ("intercept", callee.uuid) in [(c.app, c.args) for c in moved.commands]
    assert callee.is_up and moved.is_up
    callee.hangup()
    assert moved.wait_hangup(timeout=30) == "NORMAL_CLEARING"


@pytest.mark.parametrize("case", ["no owner", "no channel", "too many channels"])
def test_given_nothing_single_to_move_then_the_caller_gets_nothing(
    stack, account, floor, mobile, redis_client, case
):
    customers = []
    if case == "too many channels":
        for _ in range(2):
            customers.append(stack.emulator.place_call("2101", variables=account.variables))
            customers[-1].wait_for_event("CHANNEL_BRIDGE", timeout=30)
        talking = {floor["phone"]}
        wait_for(
            lambda: len(calls_with(redis_client, stack.settings, account.id, talking, "")) == 2,
            15,
            "the engine seeing the agent on both calls",
        )
    variables = from_agent(account, floor, mobile)
    if case == "no owner":
        variables = from_phone(account, floor["chief"])

    call = stack.emulator.place_call(MOVE, variables=variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert "intercept" not in [c.app for c in call.commands]
    prompt = {"no owner": "cf-move-no_owner", "no channel": "cf-move-no_channel"}.get(
        case, "cf-move-too_many_channels"
    )
    assert f"nothing to move: {prompt}" in notes_of(account, call.uuid)
    for customer in customers:
        assert customer.is_up
        customer.hangup()


def test_given_bad_move_data_when_saved_then_it_is_refused(account):
    with pytest.raises(ValidationFailed, match="flow.data.skip_module"):
        account.callflow(["*7"], node("move", {"skip_module": "sometimes"}))
