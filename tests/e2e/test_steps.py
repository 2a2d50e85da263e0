"""The step helper through the whole pipeline: ``probe_menu`` (tests/modules, written with
callflow.steps) driven by scripted callers on the emulator, through each of its ways out:
a digit, a key in the grace period (the engine's timer), silence (timeout), wrong keys
until the retries run out, and a caller who hangs up in the middle of a step."""

from __future__ import annotations

import pytest

from kazoo_tasks.esl.emulator import script as s
from kazoo_tasks.timers import TimerWheel
from tests.e2e.conftest import SECOND_TONE, TONE, node
from tests.waiting import wait_for

PROMPT = "tone_stream://%(1000,0,500)"
INVALID = "tone_stream://%(500,0,300)"
MAX_RETRIES_TONE = "tone_stream://%(300,0,700)"
COLLECT = "play_and_get_digits"


def menu_flow() -> dict:
    menu = node(
        "probe_menu",
        {"prompt": PROMPT, "invalid": INVALID, "retries": 2, "timeout": 2, "grace": 1.0},
    )
    menu["children"] = {
        "2": node("play", {"id": SECOND_TONE}),
        "timeout": node("play", {"id": TONE}),
        "max_retries": node("play", {"id": MAX_RETRIES_TONE}),
    }
    return menu


def collect_args(seq: int) -> str:
    return f"1 1 1 2000 # {PROMPT} silence kazoo_collected_{seq} [0-9*#A-D]+ 2000"


def menu_moves(cdr: dict) -> list[tuple[str | None, str]]:
    """(event, outcome) of each step of probe_menu that the trace shows."""
    menu = [t for t in cdr["trace"] if t.get("module") == "probe_menu" and t["step"] != "note"]
    return [(t.get("event"), t["outcome"]) for t in menu]


def step_notes(cdr: dict) -> list[str]:
    """The step results probe_menu left in the trace."""
    return [t["note"] for t in cdr["trace"] if t["step"] == "note"]


SCENARIOS = {
    "a digit while the prompt plays": (
        [s.on_playback(1).press("2")],
        [("answer", ""), (COLLECT, collect_args(1)), ("playback", SECOND_TONE)],
        ("CHANNEL_EXECUTE_COMPLETE", "continue:2"),
        ["Answer: done", "Collect: done 2"],
    ),
    "a key in the grace period after the collect timed out": (
        [s.on_app(COLLECT).wait(10).press("2")],
        [("answer", ""), (COLLECT, collect_args(1)), ("playback", SECOND_TONE)],
        ("DTMF", "continue:2"),
        ["Answer: done", "Collect: timeout", "Wait: done 2"],
    ),
    "silence": (
        [],
        [("answer", ""), (COLLECT, collect_args(1)), ("playback", TONE)],
        ("TIMER_FIRED:step_wait", "continue:timeout"),
        ["Answer: done", "Collect: timeout", "Wait: timeout"],
    ),
    "a wrong key until the retries run out": (
        [s.on_playback(1).press("9"), s.on_playback(3).press("9")],
        [
            ("answer", ""),
            (COLLECT, collect_args(1)),
            ("playback", INVALID),
            (COLLECT, collect_args(3)),
            ("playback", INVALID),
            ("playback", MAX_RETRIES_TONE),
        ],
        ("CHANNEL_EXECUTE_COMPLETE", "continue:max_retries"),
        ["Answer: done", "Collect: done 9", "Play: done", "Collect: done 9", "Play: done"],
    ),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_given_the_probe_menu_when_the_caller_acts_then_the_menu_takes_the_matching_branch(
    scenario, stack_factory, account, test_modules
):
    caller, expected_apps, last_move, notes = SCENARIOS[scenario]
    account.callflow(["3100"], menu_flow())
    stack = stack_factory(python_path=test_modules)

    call = stack.emulator.place_call("3100", variables=account.variables, script=caller)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert call.applications == expected_apps
    assert [c.kind for c in call.commands if c.kind != "api"][-1] == "hangup"
    cdr = wait_for(lambda: account.cdr(call.uuid), timeout=30.0, what="the CDR")
    assert menu_moves(cdr)[-1] == last_move
    assert step_notes(cdr) == notes


def test_given_the_probe_menu_when_the_caller_hangs_up_during_the_collect_then_the_node_stops_and_nothing_more_is_sent(  # noqa: E501
    stack_factory, account, test_modules
):
    account.callflow(["3100"], menu_flow())
    stack = stack_factory(python_path=test_modules)

    call = stack.emulator.place_call(
        "3100", variables=account.variables, script=[s.on_playback(1).hangup()]
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    cdr = wait_for(lambda: account.cdr(call.uuid), timeout=30.0, what="the CDR")
    assert menu_moves(cdr)[-1] == ("CHANNEL_EXECUTE_COMPLETE", "stop")
    assert step_notes(cdr) == ["Answer: done", "Collect: hangup"]
    assert call.applications == [("answer", ""), (COLLECT, collect_args(1))]


def test_given_the_probe_menu_when_the_caller_hangs_up_during_the_grace_wait_then_the_call_ends_and_its_timer_is_disarmed(  # noqa: E501
    stack_factory, account, test_modules, redis_client
):
    account.callflow(["3100"], menu_flow())
    stack = stack_factory(python_path=test_modules)
    wheel = TimerWheel(redis_client, stack.settings)

    call = stack.emulator.place_call(
        "3100", variables=account.variables, script=[s.on_app(COLLECT).wait(10).hangup()]
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    cdr = wait_for(lambda: account.cdr(call.uuid), timeout=30.0, what="the CDR")
    assert call.applications == [("answer", ""), (COLLECT, collect_args(1))]
    assert cdr["trace"][-1]["step"] == "end"
    assert [t for t in wheel.timers() if t.call_id == call.uuid] == []
    assert not [t for t in cdr["trace"] if "TIMER_FIRED" in t.get("event", "")]


GREETING = "tone_stream://%(5000,0,400)"
SAVED = "tone_stream://%(400,0,800)"


def record_flow(directory: str) -> dict:
    data = {"greeting": GREETING, "saved": SAVED, "directory": directory, "max_length": 30}
    return node("probe_record", data)


def test_given_the_probe_record_when_the_caller_skips_the_greeting_and_ends_with_pound_then_the_recording_and_its_length_are_kept(  # noqa: E501
    stack_factory, account, test_modules, tmp_path
):
    account.callflow(["3300"], record_flow(str(tmp_path)))
    stack = stack_factory(python_path=test_modules)
    caller = [s.on_playback(1).wait(1).press("5"), s.on_app("record").wait(4).press("#")]

    call = stack.emulator.place_call("3300", variables=account.variables, script=caller)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    path = f"{tmp_path}/{call.uuid}.wav"
    assert call.applications == [
        ("answer", ""),
        ("set", "playback_terminators=0123456789*#"),
        ("playback", GREETING),
        ("set", "playback_terminators=#"),
        ("record", f"{path} 30"),
        ("playback", SAVED),
    ]
    ccvs = wait_for(lambda: account.cdr(call.uuid), timeout=30.0)["custom_channel_vars"]
    assert (ccvs["skipped_with"], ccvs["record_end"], ccvs["recording"]) == ("5", "#", path)
    assert 3500 <= int(ccvs["recorded_ms"]) <= 5000  # 4 emulated seconds and the key's time


def test_given_the_probe_record_when_the_caller_hangs_up_while_recording_then_the_step_reports_it_with_the_recording(  # noqa: E501
    stack_factory, account, test_modules, tmp_path
):
    account.callflow(["3300"], record_flow(str(tmp_path)))
    stack = stack_factory(python_path=test_modules)

    call = stack.emulator.place_call(
        "3300", variables=account.variables, script=[s.on_app("record").wait(3).hangup()]
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    cdr = wait_for(lambda: account.cdr(call.uuid), timeout=30.0)
    ccvs = cdr["custom_channel_vars"]
    assert ccvs["record_end"] == "hangup" and ccvs["recording"] == f"{tmp_path}/{call.uuid}.wav"
    assert 2500 <= int(ccvs["recorded_ms"]) <= 3500
    assert "skipped_with" not in ccvs
    assert [a for a, _ in call.applications][-1] == "record"
