"""The caller-id and variable modules on the whole pipeline: check_cid's branches,
set_cid and prepend_cid changing what a rung phone sees, set_variable, set_variables,
language and noop, and the bad data each refuses at save."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import SECOND_TONE, TONE, assert_refused, node
from tests.e2e.test_bridging import Office

THIRD_TONE = "tone_stream://%(100,0,880)"


def played(call) -> list[str]:
    return [c.args for c in call.commands if c.app == "playback"]


def test_given_check_cid_when_callers_match_or_not_then_each_takes_its_branch(stack, account):
    account.callflow(
        ["7100"],
        {
            "module": "check_cid",
            "data": {"regex": "^\\+1415"},
            "children": {
                "match": node("play", {"id": TONE}),
                "nomatch": node("play", {"id": SECOND_TONE}),
            },
        },
    )
    account.callflow(
        ["7101"],
        {
            "module": "check_cid",
            "data": {"regex": "^\\+44"},
            "children": {"_": node("play", {"id": THIRD_TONE})},
        },
    )

    local = stack.emulator.place_call("7100", variables=account.variables)
    foreign = stack.emulator.place_call(
        "7100", caller_id_number="+442071234567", variables=account.variables
    )
    no_child = stack.emulator.place_call("7101", variables=account.variables)

    for call in (local, foreign, no_child):
        assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert played(local) == [TONE]
    assert played(foreign) == [SECOND_TONE]
    assert played(no_child) == [THIRD_TONE]


def test_given_check_cid_in_absolute_mode_then_the_callers_number_names_the_child_and_the_caller_id_changes(  # noqa: E501
    stack, account
):
    data = {
        "use_absolute_mode": True,
        "caller_id": {"external": {"name": "Front Desk", "number": "+14155550199"}},
        "user_id": "user-frontdesk",
    }
    account.callflow(
        ["7110"],
        {
            "module": "check_cid",
            "data": data,
            "children": {
                "+14155550100": node("play", {"id": TONE}),
                "_": node("play", {"id": SECOND_TONE}),
            },
        },
    )

    known = stack.emulator.place_call("7110", variables=account.variables)
    other = stack.emulator.place_call(
        "7110", caller_id_number="+14155550111", variables=account.variables
    )

    assert known.wait_hangup(timeout=30) == other.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert played(known) == [TONE]
    assert played(other) == [SECOND_TONE]
    changed = account.wait_cdr(known.uuid)
    assert (changed["caller_id_name"], changed["caller_id_number"]) == (
        "Front Desk",
        "+14155550199",
    )
    assert account.wait_cdr(other.uuid)["caller_id_number"] == "+14155550111"


def test_given_set_cid_and_prepend_cid_when_a_phone_rings_then_it_sees_the_new_caller_id(
    stack, store, account
):
    office = Office(stack, store, account)
    device_id = office.phone("1701")
    office.far_end("1701", answer_after=0.1, hangup_after=0.2)
    ring = node("device", {"id": device_id})
    prepend = {"caller_id_name_prefix": "VIP ", "caller_id_number_prefix": "9"}
    flow = node(
        "set_cid",
        {"caller_id_name": "Sales Line", "caller_id_number": "+14155550123"},
        then=node(
            "prepend_cid",
            prepend,
            then=node("prepend_cid", {"caller_id_name_prefix": "Re "}, then=ring),
        ),
    )
    reset = node(
        "prepend_cid",
        prepend,
        then=node("prepend_cid", {"action": "reset"}, then=node("set_cid", {}, then=ring)),
    )

    rewritten = office.call("7120", flow)
    assert rewritten.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    restored = office.call("7121", reset)
    assert restored.wait_hangup(timeout=30) == "NORMAL_CLEARING"

    bridge = next(c.args for c in rewritten.commands if c.app == "bridge")
    assert "origination_caller_id_name=Re VIP Sales Line" in bridge
    assert "origination_caller_id_number=9+14155550123" in bridge
    bridge = next(c.args for c in restored.commands if c.app == "bridge")
    assert "origination_caller_id_name=Alice Example" in bridge
    assert "origination_caller_id_number=+14155550100" in bridge


def test_given_variables_language_and_noop_then_the_switch_gets_each_setting(stack, account):
    flow = node(
        "noop",
        then=node(
            "set_variable",
            {"variable": "call_priority", "value": "high", "channel": "both"},
            then=node(
                "set_variable",
                {"variable": "not_mapped", "value": "x"},
                then=node(
                    "set_variables",
                    {"custom_application_vars": {"campaign": "spring"}},
                    then=node("language", {"language": "fr-CA"}, then=node("play", {"id": TONE})),
                ),
            ),
        ),
    )
    account.callflow(["7130"], flow)

    call = stack.emulator.place_call("7130", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [(c.app, c.args) for c in call.commands if c.kind == "execute"] == [
        ("export", "ecallmgr_Call-Priority=high"),
        ("set", "cav_campaign=spring"),
        ("set", "default_language=fr-CA"),
        ("answer", ""),
        ("playback", TONE),
    ]
    cdr = account.wait_cdr(call.uuid)
    assert cdr["custom_channel_vars"]["Call-Priority"] == "high"
    notes = [e.get("note", "") for e in cdr["trace"]]
    assert "nothing set: variable 'not_mapped', value 'x'" in notes


@pytest.mark.parametrize(
    ("module", "data", "field"),
    [
        ("check_cid", {"regex": "(unclosed"}, "regex"),
        ("check_cid", {"use_absolute_mode": "maybe"}, "use_absolute_mode"),
        ("set_cid", {"caller_id_name": "Eve\nhangup"}, "caller_id_name"),
        ("prepend_cid", {"action": "append"}, "action"),
        ("prepend_cid", {"apply_to": "everything"}, "apply_to"),
        ("set_variable", {"channel": "c"}, "channel"),
        ("set_variables", {}, "custom_application_vars"),
        (
            "set_variables",
            {"custom_application_vars": {"bad name": "x"}},
            "custom_application_vars",
        ),
        ("language", {}, "language"),
        ("language", {"language": "french"}, "language"),
    ],
)
def test_given_bad_data_when_saved_then_the_callflow_is_refused(account, module, data, field):
    assert_refused(account, "7199", node(module, data), field)


def test_given_kazoos_loose_types_when_saved_then_they_are_accepted(account):
    account.callflow(
        ["7198"],
        node("check_cid", {"use_absolute_mode": "true", "skip_module": "false"}, then=node("noop")),
    )
