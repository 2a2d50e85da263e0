"""``collect_dtmf``, ``flush_dtmf`` and ``send_dtmf`` through the whole pipeline: what the
switch runs, and the collections kept on the call for later nodes (a later
``collect_dtmf`` counts the digits a previous one left in ``default``, unless a
``flush_dtmf`` forgot them)."""

from __future__ import annotations

from typing import Any

import pytest

from kazoo_tasks.esl.emulator import script as s
from kazoo_tasks.testing import TestAccount, node
from tests.e2e.conftest import assert_refused

TONE = "tone_stream://%(100,0,440)"
COLLECT = "play_and_get_digits"


def collect(seq: int, max_digits: int, terminators: str = "#", timeout: int = 3000):
    """The play_and_get_digits collect_dtmf sends as the ``seq``-th command (no prompt)."""
    args = (
        f"1 {max_digits} 1 {timeout} {terminators} silence silence kazoo_collected_{seq} "
        "[0-9*#A-D]+ 1000"
    )
    return (COLLECT, args)


def collect_node(then: dict[str, Any], **data: Any) -> dict[str, Any]:
    return node("collect_dtmf", {"timeout": 3000, "interdigit_timeout": 1000, **data}, _=then)


def notes(account: TestAccount, call_id: str, module: str) -> list[str]:
    trace = account.wait_cdr(call_id)["trace"]
    return [t["note"] for t in trace if t["step"] == "note" and t.get("module") == module]


def run(stack_factory, account: TestAccount, flow: dict, caller: list) -> Any:
    account.callflow(["6000"], flow)
    stack = stack_factory()
    call = stack.emulator.place_call("6000", variables=account.variables, script=caller)
    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    return call


def test_given_collect_dtmf_when_the_caller_types_digits_and_pound_then_they_are_kept_under_the_name(  # noqa: E501
    stack_factory, account
):
    flow = collect_node(node("play", {"id": TONE}), collection_name="account", max_digits=6)

    call = run(stack_factory, account, flow, [s.on_app(COLLECT).wait(0.5).press("1234#")])

    assert call.applications == [("answer", ""), collect(1, 6), ("playback", TONE)]
    assert notes(account, call.uuid, "collect_dtmf")[-1] == 'account = "1234"'


def test_given_collect_dtmf_when_the_caller_types_nothing_then_an_empty_collection_is_kept_and_the_flow_goes_on(  # noqa: E501
    stack_factory, account
):
    flow = collect_node(node("play", {"id": TONE}), collection_name="account", max_digits=6)

    call = run(stack_factory, account, flow, [])

    assert call.applications == [("answer", ""), collect(1, 6), ("playback", TONE)]
    assert notes(account, call.uuid, "collect_dtmf")[-1] == 'account = ""'


def test_given_a_terminator_and_terminators_when_collecting_then_terminator_wins_as_in_kazoo(
    stack_factory, account
):
    flow = collect_node(node("play", {"id": TONE}), terminator="*", terminators=["#"], max_digits=4)

    call = run(stack_factory, account, flow, [s.on_app(COLLECT).wait(0.5).press("12#*")])

    assert call.applications[1] == collect(1, 4, terminators="*")
    assert notes(account, call.uuid, "collect_dtmf")[-1] == 'default = "12#"'


def test_given_digits_left_in_the_default_collection_when_a_later_collect_dtmf_runs_then_it_counts_them_without_asking(  # noqa: E501
    stack_factory, account
):
    second = collect_node(node("play", {"id": TONE}), collection_name="pin", max_digits=2)
    flow = collect_node(second, max_digits=2)

    call = run(stack_factory, account, flow, [s.on_app(COLLECT).wait(0.5).press("12")])

    assert call.applications == [("answer", ""), collect(1, 2), ("playback", TONE)]
    assert notes(account, call.uuid, "collect_dtmf")[-1] == 'pin = "12" (typed before)'


def test_given_flush_dtmf_between_two_collects_when_the_second_runs_then_it_asks_the_caller_again(
    stack_factory, account
):
    second = collect_node(node("play", {"id": TONE}), collection_name="pin", max_digits=2)
    flow = collect_node(node("flush_dtmf", {}, _=second), max_digits=2)
    caller = [s.on_app(COLLECT).wait(0.5).press("12"), s.on_app(COLLECT, 2).wait(0.5).press("34")]

    call = run(stack_factory, account, flow, caller)

    assert call.applications == [
        ("answer", ""),
        collect(1, 2),
        collect(2, 2),
        ("playback", TONE),
    ]
    assert notes(account, call.uuid, "collect_dtmf")[-1] == 'pin = "34"'


def test_given_send_dtmf_when_the_node_runs_then_the_switch_sends_the_tones_for_that_long(
    stack_factory, account
):
    tones = node(
        "send_dtmf", {"digits": "12w#", "duration_ms": "300"}, _=node("play", {"id": TONE})
    )

    call = run(stack_factory, account, node("answer", {}, _=tones), [])

    assert call.applications == [("answer", ""), ("send_dtmf", "12w#@300"), ("playback", TONE)]


def test_given_send_dtmf_without_duration_then_kazoos_two_seconds_apply(stack_factory, account):
    call = run(stack_factory, account, node("send_dtmf", {"digits": "9"}), [])

    assert call.applications == [("send_dtmf", "9@2000")]


@pytest.mark.parametrize(
    ("module", "data", "field"),
    [
        ("collect_dtmf", {"max_digits": 0}, "max_digits"),
        ("collect_dtmf", {"timeout": "soon"}, "timeout"),
        ("collect_dtmf", {"terminator": "x"}, "terminator"),
        ("collect_dtmf", {"terminators": ["#", "x"]}, "terminators"),
        ("collect_dtmf", {"collection_name": ""}, "collection_name"),
        ("flush_dtmf", {"collection_name": ""}, "collection_name"),
        ("send_dtmf", {}, "digits"),
        ("send_dtmf", {"digits": "12x"}, "digits"),
        ("send_dtmf", {"digits": "1\n2"}, "digits"),
        ("send_dtmf", {"digits": "1", "duration_ms": "fast"}, "duration_ms"),
        ("send_dtmf", {"digits": "1", "duration_ms": 5}, "duration_ms"),
    ],
)
def test_given_bad_dtmf_data_when_the_callflow_is_saved_then_it_is_refused_with_the_field(
    account, module, data, field
):
    assert_refused(account, "6001", node(module, data), field)


@pytest.mark.parametrize(
    ("module", "data", "stored"),
    [
        ("collect_dtmf", {"max_digits": "2", "timeout": "10000"}, {"max_digits": 2}),
        ("send_dtmf", {"digits": "1", "duration_ms": "300"}, {"duration_ms": 300}),
        ("flush_dtmf", {"skip_module": "true"}, {"skip_module": True}),
    ],
)
def test_given_kazoos_loose_types_when_dtmf_nodes_are_saved_then_they_are_accepted(
    account, module, data, stored
):
    saved = account.callflows.read(account.id, account.callflow(["6002"], node(module, data)))

    assert stored.items() <= saved["flow"]["data"].items()
