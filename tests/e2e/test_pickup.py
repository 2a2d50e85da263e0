"""Picking up a call that rings another phone, through the whole pipeline: a customer
calls a sales user whose phone rings; a colleague dials the pickup code and is bridged to
the customer; the sales phone stops ringing (PICKED_OFF) and the customer's flow does not
go on to its next node. A caller who may not, or a code with nothing ringing, gets
nothing."""

from __future__ import annotations

import pytest

from api.errors import ValidationFailed
from tests.e2e.conftest import from_phone, node, ringing_customer


@pytest.mark.parametrize(
    ("module", "data"),
    [
        ("group_pickup", {"group_id": "group", "approved_group_id": "group"}),
        ("intercept", {"user_id": "sales", "approved_device_id": "colleague"}),
    ],
)
def test_given_a_ringing_phone_when_a_colleague_picks_up_then_the_customer_talks_to_her(
    stack, account, sales_floor, module, data
):
    account.callflow(["*8"], node(module, {k: sales_floor[v] for k, v in data.items()}))
    customer, leg = ringing_customer(stack, account)

    picker = stack.emulator.place_call(
        "*8", variables=from_phone(account, sales_floor["colleague"])
    )

    assert leg.wait_hangup(timeout=30) == "PICKED_OFF"
    picker.wait_for_event("CHANNEL_BRIDGE", timeout=30)
    assert ("intercept", customer.uuid) in [(c.app, c.args) for c in picker.commands]
    assert customer.is_up and picker.is_up
    picker.hangup()
    customer.wait_hangup(timeout=30)
    trace = account.wait_cdr(customer.uuid)["trace"]
    assert [t for t in trace if t.get("module") == "play"] == [], trace
    assert "picked off: bridged to the interceptor" in [t.get("note") for t in trace]
    notes = [t.get("note", "") for t in account.wait_cdr(picker.uuid)["trace"]]
    assert f"picking up {customer.uuid}" in notes


def refused_pickup(stack, account, sales_floor, module: str, data: dict) -> tuple[list[str], list]:
    """The colleague dials a pickup code that must not pick anything up: the
    applications her call ran and the notes of its trace, once it hung up by itself."""
    account.callflow(["*8"], node(module, data))
    call = stack.emulator.place_call("*8", variables=from_phone(account, sales_floor["colleague"]))
    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    apps = [c.app for c in call.commands]
    assert "intercept" not in apps
    return apps, [t.get("note", "") for t in account.wait_cdr(call.uuid)["trace"]]


def test_given_intercept_without_approval_when_a_stranger_dials_then_she_is_refused(
    stack, account, sales_floor
):
    customer, leg = ringing_customer(stack, account)

    apps, notes = refused_pickup(
        stack, account, sales_floor, "intercept", {"user_id": sales_floor["sales"]}
    )

    assert "speak" in apps and "caller not approved to pick up" in notes
    assert leg.is_up
    customer.hangup()


def test_given_nothing_ringing_when_the_code_is_dialed_then_there_is_nothing_to_pick_up(
    stack, account, sales_floor
):
    _, notes = refused_pickup(
        stack, account, sales_floor, "group_pickup", {"group_id": sales_floor["group"]}
    )

    assert "no call ringing" in notes


def test_given_bad_pickup_data_when_saved_then_it_is_refused(account):
    with pytest.raises(ValidationFailed, match="flow.data.group_id"):
        account.callflow(["*9"], node("group_pickup", {"group_id": ""}))
