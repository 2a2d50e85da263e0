"""Caller-controlled strings never add a header or a command to what reaches the switch.

A corpus of hostile caller-id names and numbers (CR/LF, URL-encoded newlines, NUL, a whole
``sendmsg``, ``${api(...)}``, bracket and comma tricks, 10 KB) goes through a call that
answers and rings a phone (the caller id lands in the dial string): the switch must
receive exactly the flow's commands, a bridge of exactly one leg carrying only its own
variables. The same corpus as callflow ``set`` values is refused at save time."""

from __future__ import annotations

import pytest

from api.errors import ValidationFailed
from kazoo_tasks.esl.emulator.endpoints import parse_dial_string
from tests.e2e.conftest import node
from tests.e2e.test_bridging import Office

CORPUS = [
    "Alice\nevent-lock: false\n\napi uuid_kill 00000000-0000-0000-0000-000000000000",
    "Bob\r\nsendmsg 00000000-0000-0000-0000-000000000000\ncall-command: hangup",
    "Carol%0Aapi%20uuid_kill%20x",
    "Dan\x00Evil",
    "${api(uuid_kill x)}",
    "Eve,sofia/sipinterface_1/evil@192.0.2.66",
    "Fay|error/USER_BUSY",
    "Gus]evil_var=1[",
    "{hangup_after_bridge=true}",
    "'quoted\" name",
    "x" * 10_000,
]
EXPECTED_LEG_VARIABLES = {
    "ecallmgr_Account-ID",
    "ecallmgr_Authorizing-ID",
    "ecallmgr_Authorizing-Type",
    "ecallmgr_Owner-ID",
    "origination_caller_id_name",
    "origination_caller_id_number",
    "origination_callee_id_name",
    "origination_callee_id_number",
    "leg_timeout",
    "leg_delay_start",
}


def test_given_hostile_caller_ids_when_they_ring_a_phone_then_nothing_is_added_to_any_frame(
    stack, store, account
):
    office = Office(stack, store, account)
    desk = office.phone("4001")
    office.far_end("4001", answer_after=0.05, hangup_after=0.1)
    account.callflow(["4999"], node("answer", then=node("device", {"id": desk})))

    calls = [
        stack.emulator.place_call(
            "4999",
            caller_id_name=hostile,
            caller_id_number=hostile[:30],
            variables=account.variables,
        )
        for hostile in CORPUS
    ]

    for call in calls:
        assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
        assert [(c.kind, c.app) for c in call.commands] == [
            ("execute", "answer"),
            ("execute", "multiset"),
            ("execute", "bridge"),
            ("hangup", ""),
        ]
        bridge = next(c.args for c in call.commands if c.app == "bridge")
        global_vars, legs = parse_dial_string(bridge)
        assert not global_vars and len(legs) == 1 and len(legs[0]) == 1, bridge
        leg = legs[0][0]
        assert set(leg.variables) <= EXPECTED_LEG_VARIABLES, leg.variables
        for value in leg.variables.values():
            assert not any(c in value for c in "\r\n\x00$,|[]{}'\""), value


@pytest.mark.parametrize("hostile", CORPUS[:5])
def test_given_a_hostile_set_value_then_it_is_refused_at_save_or_reaches_the_switch_as_one_value(
    stack, account, hostile
):
    flow = node("set", {"custom_channel_vars": {"note": hostile}}, then=node("answer"))
    try:
        account.callflow(["4998"], flow)
    except ValidationFailed as refused:  # line breaks, NUL, ${...}: refused with a field error
        assert "flow.data.custom_channel_vars.note" in str(refused)
        return
    call = stack.emulator.place_call("4998", variables=account.variables)
    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [(c.kind, c.app) for c in call.commands] == [
        ("execute", "set"),
        ("execute", "answer"),
        ("hangup", ""),
    ]
    assert call.commands[0].args == f"ecallmgr_note={hostile}"
