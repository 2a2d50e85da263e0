"""A call through the engine, end to end at the bus level: real RabbitMQ, Redis, Celery
worker and embedded document store, with the switch stand-in answering commands."""

from __future__ import annotations

import time

import pytest

from callflow.kazoo_modules import LEFT_OUT
from tests.callflow.conftest import ACCOUNT_ID, cdr_of, node
from tests.waiting import wait_for

TONE = "tone_stream://%(200,0,440)"


def test_given_answer_play_hangup_when_a_call_parks_then_the_switch_gets_exactly_those_commands_a_cdr_is_written_and_no_key_is_left(  # noqa: E501
    settings, worker, switch, save_callflow, documents, call_store
):
    flow = node("answer", _=node("play", {"id": TONE}, _=node("hangup")))
    save_callflow("cf-main", flow, numbers=["1000"])

    call_id = switch.park("1000", account_id=ACCOUNT_ID)

    assert switch.wait_ended([call_id]) == []
    assert switch.apps(call_id) == ["answer", f"playback {TONE}", "hangup NORMAL_CLEARING"]
    assert len(switch.received[call_id]) == 3
    cdr = wait_for(lambda: cdr_of(documents, call_id))
    assert cdr["callflow_id"] == "cf-main"
    assert cdr["hangup_cause"] == "NORMAL_CLEARING"
    assert cdr["caller_id_number"] == "+14155550100"
    assert [(t.get("module"), t["outcome"]) for t in cdr["trace"] if t["step"] == "start"] == [
        ("answer", "wait"),
        ("play", "wait"),
        ("hangup", "hard_stop"),
    ]
    time.sleep(settings.hangup_grace + 0.5)
    assert call_store.existing_keys(call_id) == []


def test_given_the_answer_event_lost_in_a_gap_when_a_later_event_says_answered_then_nothing_answers_again(  # noqa: E501
    worker, switch, save_callflow, documents
):
    """A CHANNEL_ANSWER fallen in an ESL gap (a takeover): the completion that follows
    carries the channel's ``Answer-State``, so ``play`` does not answer a second time."""
    flow = node("answer", _=node("play", {"id": TONE}, _=node("hangup")))
    save_callflow("cf-main", flow, numbers=["1000"])
    switch.lost_events = {"CHANNEL_ANSWER"}

    call_id = switch.park("1000", account_id=ACCOUNT_ID)

    assert switch.wait_ended([call_id]) == []
    assert switch.apps(call_id) == ["answer", f"playback {TONE}", "hangup NORMAL_CLEARING"]
    assert wait_for(lambda: cdr_of(documents, call_id))["answered_timestamp"]


def test_given_a_number_in_the_numbers_db_when_a_call_without_account_parks_then_it_routes_to_the_owner(  # noqa: E501
    worker, switch, save_callflow, documents
):
    save_callflow("cf-did", node("play", {"id": TONE}), numbers=["+14155550199"])

    call_id = switch.park("+14155550199")

    assert switch.wait_ended([call_id]) == []
    assert switch.apps(call_id) == ["answer", f"playback {TONE}", "hangup NORMAL_CLEARING"]
    assert wait_for(lambda: cdr_of(documents, call_id))["account_id"] == ACCOUNT_ID


def test_given_patterns_when_a_number_matches_then_the_longest_capture_wins_and_is_kept(
    worker, switch, save_callflow, documents
):
    save_callflow("cf-short", node("tts", {"text": "short"}), patterns=[r"^\*(\d)"])
    save_callflow("cf-long", node("say", {"say_text": "x"}), patterns=[r"^\*(?<ext>\d+)$"])

    call_id = switch.park("*2468", account_id=ACCOUNT_ID)

    assert switch.wait_ended([call_id]) == []
    assert switch.apps(call_id)[1] == "say en number pronounced x"
    cdr = wait_for(lambda: cdr_of(documents, call_id))
    assert cdr["callflow_id"] == "cf-long"
    assert cdr["trace"][0]["outcome"] == "pattern:cf-long"


def test_given_no_number_and_no_pattern_when_digits_are_dialed_then_the_no_match_callflow_runs(
    worker, switch, save_callflow
):
    save_callflow("cf-nomatch", node("response", {"code": 404, "message": "Nope"}), ["no_match"])

    call_id = switch.park("5551234", account_id=ACCOUNT_ID)

    assert switch.wait_ended([call_id]) == []  # the response ended the call: the flow
    # then stops and hangs up, on a channel that is gone (a command that may come later)
    expected = ["respond 404 Nope", "hangup NORMAL_CLEARING"]
    wait_for(lambda: switch.apps(call_id) == expected, what="the hangup after the response")
    assert switch.ended[call_id] == "UNALLOCATED_NUMBER"


def test_given_no_route_when_a_call_parks_then_it_is_hung_up_with_no_route_destination(
    worker, switch, documents
):
    call_id = switch.park("+19995550000")

    assert switch.wait_ended([call_id]) == []
    assert switch.apps(call_id) == ["hangup NO_ROUTE_DESTINATION"]
    cdr = wait_for(lambda: cdr_of(documents, call_id, account_id=None))
    assert cdr["hangup_cause"] == "NO_ROUTE_DESTINATION"


def test_given_a_known_account_without_a_matching_callflow_when_a_call_parks_then_its_cdr_goes_to_the_account(  # noqa: E501
    worker, switch, save_callflow, documents
):
    save_callflow("cf-other", node("answer"), numbers=["2000"])

    call_id = switch.park("7777", account_id=ACCOUNT_ID)

    assert switch.wait_ended([call_id]) == []
    assert switch.apps(call_id) == ["hangup NO_ROUTE_DESTINATION"]
    cdr = wait_for(lambda: cdr_of(documents, call_id, account_id=ACCOUNT_ID))
    assert cdr["hangup_cause"] == "NO_ROUTE_DESTINATION"
    assert cdr["account_id"] == ACCOUNT_ID


def test_given_a_branch_when_the_sub_flow_stops_then_the_parent_resumes_at_its_wildcard_child(
    worker, switch, save_callflow
):
    save_callflow("cf-sub", node("play", {"id": "tone_stream://sub"}))
    parent = node("callflow", {"id": "cf-sub"}, _=node("play", {"id": "tone_stream://parent"}))
    save_callflow("cf-parent", parent, numbers=["2000"])

    call_id = switch.park("2000", account_id=ACCOUNT_ID)

    assert switch.wait_ended([call_id]) == []
    assert switch.apps(call_id) == [
        "answer",
        "playback tone_stream://sub",
        "playback tone_stream://parent",
        "hangup NORMAL_CLEARING",
    ]


def test_given_a_hangup_in_a_sub_flow_when_it_runs_then_the_stack_is_ignored(
    worker, switch, save_callflow
):
    save_callflow("cf-sub", node("hangup", {"hangup_cause": "CALL_REJECTED"}))
    parent = node("callflow", {"id": "cf-sub"}, _=node("play", {"id": TONE}))
    save_callflow("cf-parent", parent, numbers=["2001"])

    call_id = switch.park("2001", account_id=ACCOUNT_ID)

    assert switch.wait_ended([call_id]) == []
    assert switch.apps(call_id) == ["hangup CALL_REJECTED"]


def test_given_a_branch_loop_when_a_call_enters_it_then_the_branch_limit_ends_the_call_cleanly(
    settings, worker, switch, save_callflow, documents
):
    save_callflow("cf-loop", node("callflow", {"id": "cf-loop"}), numbers=["3000"])

    call_id = switch.park("3000", account_id=ACCOUNT_ID)

    assert switch.wait_ended([call_id]) == []
    assert switch.apps(call_id) == ["hangup NORMAL_CLEARING"]
    cdr = wait_for(lambda: cdr_of(documents, call_id))
    assert any(t["outcome"] == "branch_limit" for t in cdr["trace"])
    assert cdr["node_runs"] == settings.branch_limit + 1


@pytest.mark.parametrize(
    ("module", "note"),
    [
        ("no_such_module", "unknown module"),
        ("receive_fax", f"left out: {LEFT_OUT['receive_fax']}"),
    ],
)
def test_given_an_unknown_module_when_reached_then_the_call_continues_to_its_wildcard_child(
    worker, switch, save_callflow, documents, module, note
):
    save_callflow("cf-unknown", node(module, _=node("tts", {"text": "hi"})), ["4000"])

    call_id = switch.park("4000", account_id=ACCOUNT_ID)

    assert switch.wait_ended([call_id]) == []
    assert switch.apps(call_id) == ["answer", "speak flite|slt|hi", "hangup NORMAL_CLEARING"]
    cdr = wait_for(lambda: cdr_of(documents, call_id))
    assert cdr["trace"][1]["note"] == note
    assert cdr["trace"][1]["path"] == "cf-unknown:"


def test_given_bad_node_data_when_reached_then_the_call_continues_to_its_wildcard_child(
    worker, switch, save_callflow, documents
):
    bad = node("play", {"id": "file:///etc/passwd"}, _=node("sleep", {"duration": 2, "unit": "ms"}))
    save_callflow("cf-bad", bad, ["4001"])

    call_id = switch.park("4001", account_id=ACCOUNT_ID)

    assert switch.wait_ended([call_id]) == []
    assert switch.apps(call_id) == ["sleep 2", "hangup NORMAL_CLEARING"]


def test_given_a_refused_command_when_the_module_waits_on_it_then_the_call_continues(
    worker, switch, save_callflow
):
    switch.refuse_apps.add("playback")
    save_callflow(
        "cf-refused", node("play", {"id": TONE}, _=node("tts", {"text": "after"})), ["4002"]
    )

    call_id = switch.park("4002", account_id=ACCOUNT_ID)

    assert switch.wait_ended([call_id]) == []
    assert switch.apps(call_id)[-2:] == ["speak flite|slt|after", "hangup NORMAL_CLEARING"]


def test_given_set_variables_when_run_then_ccvs_are_set_on_the_channel_and_kept_in_the_cdr(
    worker, switch, save_callflow, documents
):
    data = {"custom_channel_vars": {"Queue": "sales"}, "custom_application_vars": {"x": "1"}}
    save_callflow("cf-set", node("set", data, _=node("hangup")), ["4003"])

    call_id = switch.park("4003", account_id=ACCOUNT_ID)

    assert switch.wait_ended([call_id]) == []
    assert switch.apps(call_id) == [
        "set ecallmgr_Queue=sales",
        "set cav_x=1",
        "hangup NORMAL_CLEARING",
    ]
    cdr = wait_for(lambda: cdr_of(documents, call_id))
    assert cdr["custom_channel_vars"] == {"Account-ID": ACCOUNT_ID, "Queue": "sales"}


def test_given_the_caller_hangs_up_mid_flow_when_events_follow_then_the_call_ends_with_the_callers_cause(  # noqa: E501
    worker, switch, save_callflow, documents
):
    switch.hold_apps.add("sleep")
    save_callflow("cf-long", node("answer", _=node("sleep", {"duration": 60})), ["4004"])
    call_id = switch.park("4004", account_id=ACCOUNT_ID)
    wait_for(lambda: "sleep 60000" in switch.apps(call_id))

    switch.hang_up(call_id, "ORIGINATOR_CANCEL")

    cdr = wait_for(lambda: cdr_of(documents, call_id))
    assert cdr["hangup_cause"] == "ORIGINATOR_CANCEL"
    assert cdr["billing_seconds"] >= 0 and cdr["answered_timestamp"]
    assert switch.apps(call_id) == ["answer", "sleep 60000"]


def test_given_every_event_delivered_twice_when_a_call_runs_then_each_is_applied_once(
    worker, switch, save_callflow, documents
):
    switch.duplicate_events = True
    save_callflow("cf-dup", node("answer", _=node("play", {"id": TONE})), ["6000"])

    call_id = switch.park("6000", account_id=ACCOUNT_ID)

    assert switch.wait_ended([call_id]) == []
    assert [c["app"] if c["kind"] == "execute" else "hangup" for c in switch.received[call_id]] == [
        "answer",
        "playback",
        "hangup",
    ]
    cdr = wait_for(lambda: cdr_of(documents, call_id))
    assert cdr["node_runs"] == 2
    assert [t["step"] for t in cdr["trace"]].count("route") == 1
