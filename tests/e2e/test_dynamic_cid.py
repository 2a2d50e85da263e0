"""``dynamic_cid`` on the whole pipeline: a static caller id, one the caller types (a good
one kept, a bad one refused), and one picked from a list by the first digits dialed, the
rest routed to the account's ``no_match`` callflow; the phone rung sees the caller id
chosen."""

from __future__ import annotations

import pytest

from kazoo_tasks.docstore import account_db
from kazoo_tasks.esl.emulator import script as s
from tests.e2e.conftest import assert_refused, node
from tests.e2e.test_bridging import Office

FEATURE_CODE = r"^\*2([0-9]{2,})$"


@pytest.fixture
def office(stack, store, account) -> Office:
    return Office(stack, store, account)


def presented(call) -> str:
    """The caller id number the phone's leg was given."""
    [bridge] = [c.args for c in call.commands if c.app == "bridge"]
    return bridge.split("origination_caller_id_number=", 1)[1].split(",", 1)[0].split("]")[0]


def ring(office: Office) -> dict:
    phone = office.phone("1301")
    office.far_end("1301", answer_after=0.2, hangup_after=0.3)
    return node("device", {"id": phone})


def test_given_a_static_caller_id_then_the_phone_rung_sees_it(office: Office, account):
    data = {"action": "static", "caller_id": {"name": "CALL_ME", "number": "5555555555"}}
    account.callflow(["2301"], node("dynamic_cid", data, then=ring(office)))

    call = office.stack.emulator.place_call("2301", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert presented(call) == "5555555555"
    [bridge] = [c.args for c in call.commands if c.app == "bridge"]
    assert "origination_caller_id_name=CALL_ME" in bridge


@pytest.mark.parametrize(
    ("typed", "number"),
    [("4155550199", "4155550199"), ("12#", "+14155550100")],
    ids=["good", "short"],
)
def test_given_manual_then_a_typed_number_is_taken_or_refused(
    office: Office, account, typed, number
):
    account.callflow(["2302"], node("dynamic_cid", {"action": "manual"}, then=ring(office)))

    call = office.stack.emulator.place_call(
        "2302",
        variables=account.variables,
        script=[s.on_app("play_and_get_digits").wait(0.5).press(typed)],
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert presented(call) == number


def test_given_a_list_then_the_first_digits_pick_the_caller_id_and_the_rest_is_dialed(
    office: Office, account
):
    db = account_db(account.id)
    for key, number, name in (("01", "19058888888", "Awesome Inc."), ("02", "16139999999", "Co")):
        office.store.save(db, {
            "pvt_type": "list_entry", "list_id": "cid-list", "capture_group_key": key,
            "capture_group_length": 2, "number": number, "name": name,
        })  # fmt: skip
    account.callflows.create(
        account.id,
        {
            "patterns": [FEATURE_CODE],
            "flow": node("dynamic_cid", {"action": "list", "id": "cid-list"}),
        },
    )
    account.callflow(["no_match"], ring(office))

    call = office.stack.emulator.place_call("*2015149072508", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert presented(call) == "19058888888"
    trace = account.wait_cdr(call.uuid)["trace"]
    assert any(
        t.get("outcome", "").startswith("branch:")
        for t in trace
        if t.get("module") == "dynamic_cid"
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"action": "dynamic"}, "action"),
        ({"whitelist_regex": "(["}, "whitelist_regex"),
        ({"caller_id": {"number": "1\n2"}}, "caller_id"),
        ({"max_digits": "many"}, "max_digits"),
    ],
)
def test_given_bad_data_when_saved_then_the_callflow_is_refused(account, data, field):
    assert_refused(account, "2399", node("dynamic_cid", data), field)
