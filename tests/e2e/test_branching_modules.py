"""The branching modules on the whole pipeline: branch_bnumber (a child by capture
group, or a hunt for the number's callflow), branch_variable (channel variables, the
account's and the calling device's documents) and privacy (hides the caller id, then
branches to the dialed number's callflow), with the bad data each refuses at save."""

from __future__ import annotations

from typing import Any

import pytest

from kazoo_tasks.docstore import ACCOUNTS_DB, account_db
from tests.e2e.conftest import SECOND_TONE, TONE, assert_refused, node
from tests.e2e.test_bridging import Office

THIRD_TONE = "tone_stream://%(100,0,880)"


def played(call) -> list[str]:
    return [c.args for c in call.commands if c.app == "playback"]


def pattern_flow(account, pattern: str, flow: dict[str, Any]) -> None:
    account.callflows.create(account.id, {"patterns": [pattern], "flow": flow})


def children(module: str, data: dict[str, Any], **by_key: dict[str, Any]) -> dict[str, Any]:
    return {
        "module": module,
        "data": data,
        "children": {k.lstrip("k"): v for k, v in by_key.items()},
    }


def test_given_branch_bnumber_then_the_capture_group_names_the_child_or_is_hunted(stack, account):
    pattern_flow(
        account,
        r"^\*5(\d+)$",
        children(
            "branch_bnumber",
            {},
            k1234=node("play", {"id": TONE}),
            k_=node("play", {"id": SECOND_TONE}),
        ),
    )
    pattern_flow(
        account,
        r"^\*6(\d+)$",
        children(
            "branch_bnumber",
            {"hunt": True, "hunt_deny": "^9"},
            k_=node("play", {"id": SECOND_TONE}),
        ),
    )
    account.callflow(["2000"], node("play", {"id": THIRD_TONE}))
    account.callflow(["9000"], node("play", {"id": THIRD_TONE}))

    calls = {
        number: stack.emulator.place_call(number, variables=account.variables)
        for number in ("*51234", "*599", "*62000", "*69000", "*64444")
    }

    for call in calls.values():
        assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert {number: played(call) for number, call in calls.items()} == {
        "*51234": [TONE],
        "*599": [SECOND_TONE],
        "*62000": [THIRD_TONE, SECOND_TONE],  # the branched flow stops: back to `_`
        "*69000": [SECOND_TONE],
        "*64444": [SECOND_TONE],
    }
    notes = [e.get("note") for e in account.wait_cdr(calls["*69000"].uuid)["trace"]]
    assert "9000 may not be hunted" in notes
    notes = [e.get("note") for e in account.wait_cdr(calls["*64444"].uuid)["trace"]]
    assert "no callflow for 4444" in notes


def test_given_branch_variable_then_the_value_in_its_scope_names_the_child(stack, store, account):
    for db in (ACCOUNTS_DB, account_db(account.id)):
        store.save(db, {**store.get(db, account.id), "tier": "gold"})
    office = Office(stack, store, account)
    device_id = office.phone("1801", register=False)
    device = store.get(account_db(account.id), device_id)
    store.save(account_db(account.id), {**device, "vip": True})
    choices = {
        "kgold": node("play", {"id": TONE}),
        "ktrue": node("play", {"id": TONE}),
        "khigh": node("play", {"id": TONE}),
    }
    fallback = node("play", {"id": SECOND_TONE})
    account.callflow(
        ["7200"],
        node(
            "set_variable",
            {"variable": "call_priority", "value": "high"},
            then=children("branch_variable", {"variable": "call_priority"}, k_=fallback, **choices),
        ),
    )
    account.callflow(
        ["7201"],
        children(
            "branch_variable", {"variable": "tier", "scope": "account"}, k_=fallback, **choices
        ),
    )
    account.callflow(
        ["7202"],
        children(
            "branch_variable", {"variable": ["vip"], "scope": "device"}, k_=fallback, **choices
        ),
    )
    account.callflow(
        ["7203"], children("branch_variable", {"variable": "missing"}, k_=fallback, **choices)
    )
    from_phone = {
        **account.variables,
        "ecallmgr_Authorizing-ID": device_id,
        "ecallmgr_Authorizing-Type": "device",
    }

    calls = [
        stack.emulator.place_call(number, variables=from_phone)
        for number in ("7200", "7201", "7202", "7203")
    ]

    for call in calls:
        assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [played(call) for call in calls] == [[TONE], [TONE], [TONE], [SECOND_TONE]]
    outcomes = [
        next(
            e["outcome"]
            for e in account.wait_cdr(call.uuid)["trace"]
            if e.get("module") == "branch_variable" and "outcome" in e
        )
        for call in calls
    ]
    assert outcomes == ["continue:high", "continue:gold", "continue:true", "continue:_"]


def test_given_privacy_behind_a_feature_code_then_the_phone_rung_sees_an_anonymous_caller(
    stack, store, account
):
    office = Office(stack, store, account)
    device_id = office.phone("1901")
    office.far_end("1901", answer_after=0.1, hangup_after=0.2)
    account.callflow(["1901"], node("device", {"id": device_id}))
    pattern_flow(account, r"^\*67(\d+)$", node("privacy", {"mode": "full"}))
    pattern_flow(account, r"^\*68(\d+)$", node("privacy", {"mode": "name"}))

    hidden = stack.emulator.place_call("*671901", variables=account.variables)
    assert hidden.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    name_only = stack.emulator.place_call("*681901", variables=account.variables)
    assert name_only.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    nowhere = stack.emulator.place_call("*675555", variables=account.variables)
    assert nowhere.wait_hangup(timeout=30) == "NORMAL_CLEARING"

    bridge = next(c.args for c in hidden.commands if c.app == "bridge")
    assert "origination_caller_id_name=Anonymous," in bridge
    assert "origination_caller_id_number=anonymous," in bridge
    bridge = next(c.args for c in name_only.commands if c.app == "bridge")
    assert "origination_caller_id_name=Anonymous," in bridge
    assert "origination_caller_id_number=+14155550100," in bridge
    assert [(c.app, c.args) for c in hidden.commands if c.app == "set"] == [
        ("set", "ecallmgr_Caller-Privacy-Hide-Name=true"),
        ("set", "ecallmgr_Caller-Privacy-Hide-Number=true"),
    ]
    assert not [c for c in nowhere.commands if c.app == "bridge"]
    notes = [e.get("note") for e in account.wait_cdr(nowhere.uuid)["trace"]]
    assert "no callflow for 5555" in notes


@pytest.mark.parametrize(
    ("module", "data", "field"),
    [
        ("branch_bnumber", {"hunt_allow": "[a-"}, "hunt_allow"),
        ("branch_bnumber", {"hunt": "often"}, "hunt"),
        ("branch_variable", {}, "variable"),
        ("branch_variable", {"variable": {"a": 1}}, "variable"),
        ("branch_variable", {"variable": "x", "scope": "galaxy"}, "scope"),
        ("privacy", {"mode": "partial"}, "mode"),
        ("privacy", {"endpoint_strategy": "replace"}, "endpoint_strategy"),
    ],
)
def test_given_bad_data_when_saved_then_the_callflow_is_refused(account, module, data, field):
    assert_refused(account, "7299", node(module, data), field)
