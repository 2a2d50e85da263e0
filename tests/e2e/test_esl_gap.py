"""The ESL link cut at each point of a call, then re-sync: nothing stays stranded.

FreeSWITCH does not replay what it emitted while no listener was connected. These tests
cut the emulator's ESL link (or SIGKILL ecallmgr) with calls before their park, in the
middle of a command and at their hangup, and check that every call reaches its end with
a CDR whose trace names the gap.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tests.e2e.conftest import node
from tests.waiting import wait_for

LONG_TONE = "tone_stream://%(20000,0,440)"  # 20 s of tone: 1 s at the emulator's speed here
SPEED = 0.05


def play_flow(account, number: str, media: str) -> None:
    account.callflow(
        [number], node("answer", then=node("play", {"id": media}, then=node("hangup")))
    )


def refuse_esl_for(stack, seconds: float) -> Callable[[], None]:
    """Cut ecallmgr's connection and refuse new ones for ``seconds`` (in a thread); the
    returned function waits until the switch listens again."""
    cutting = threading.Thread(
        target=stack.emulator.cut_connections, kwargs={"refuse_for": seconds}, daemon=True
    )
    cutting.start()
    wait_for(lambda: not stack.emulator.switch.listeners, 10, "the listener to be cut")
    return cutting.join


def calls_playing(
    stack_factory, account, number: str, count: int, overrides: dict
) -> tuple[Any, list]:
    """A stack with ``overrides`` and ``count`` calls to ``number``, each playing a long
    tone (:func:`play_flow`) when this returns."""
    play_flow(account, number, LONG_TONE)
    stack = stack_factory(overrides=overrides, time_scale=SPEED)
    calls = stack.emulator.place_calls(
        count, rate=200, destination=number, variables=account.variables
    ).result(30)
    for call in calls:
        call.wait_for_command("playback", timeout=30)
    return stack, calls


def resync_notes(cdr: dict) -> list[str]:
    return [entry.get("note", "") for entry in cdr["trace"] if entry.get("step") == "ecallmgr"]


def test_given_calls_that_park_while_the_esl_link_is_down_when_it_comes_back_then_they_are_routed(
    stack_factory, account
):
    play_flow(account, "4100", "tone_stream://%(200,0,440)")
    stack = stack_factory(overrides={"esl_reconnect_max_delay": 0.5}, time_scale=SPEED)
    listening_again = refuse_esl_for(stack, 2.0)

    calls = [stack.emulator.place_call("4100", variables=account.variables) for _ in range(10)]
    for call in calls:
        call.wait_parked(timeout=10)
    assert all(not call.commands for call in calls)  # nobody listens: they wait, parked
    listening_again()

    assert [call.wait_hangup(timeout=30) for call in calls] == ["NORMAL_CLEARING"] * len(calls)
    for call in calls:
        ran = [(c.kind, c.app) for c in call.commands if c.kind != "api"]
        assert ran == [("execute", "answer"), ("execute", "playback"), ("hangup", "")]
        cdr = wait_for(lambda c=call: account.cdr(c.uuid), 30, "the CDR")
        notes = resync_notes(cdr)
        assert len(notes) == 1 and notes[0].startswith("parked during an ESL gap of"), notes


def test_given_calls_playing_when_their_completions_fall_in_an_esl_gap_then_they_go_on_after_it(
    stack_factory, account
):
    stack, calls = calls_playing(
        stack_factory, account, "4200", 20, {"esl_reconnect_max_delay": 0.5}
    )

    listening_again = refuse_esl_for(stack, 2.5)  # the 1 s tones end while nobody listens
    for call in calls:
        call.wait_for_event("CHANNEL_EXECUTE_COMPLETE", nth=2, timeout=10)
    assert all(call.is_up for call in calls)
    listening_again()

    assert [call.wait_hangup(timeout=30) for call in calls] == ["NORMAL_CLEARING"] * len(calls)
    for call in calls:
        ran = [(c.kind, c.app) for c in call.commands if c.kind != "api"]
        assert ran[:2] == [("execute", "answer"), ("execute", "playback")]
        assert ran[-1] == ("hangup", "")
        probes = [c for c in call.commands if (c.event_uuid or "").startswith("resync-")]
        assert len(probes) == 1 and probes[0].app == "set"
        cdr = wait_for(lambda c=call: account.cdr(c.uuid), 30, "the CDR")
        notes = resync_notes(cdr)
        assert any(n.startswith("completion lost in an ESL gap") for n in notes), notes
        assert "ESL re-sync probe completed" in notes


def test_given_callers_that_hang_up_while_the_esl_link_is_down_then_their_cdrs_come_at_reconnect(
    stack_factory, account
):
    stack, calls = calls_playing(
        stack_factory, account, "4300", 10, {"esl_reconnect_max_delay": 0.5}
    )

    listening_again = refuse_esl_for(stack, 1.5)
    for call in calls:
        call.hangup("NORMAL_CLEARING")
    listening_again()

    for call in calls:
        cdr = wait_for(lambda c=call: account.cdr(c.uuid), 15, "the CDR, long before a reaper")
        assert cdr["hangup_cause"] == "NETWORK_OUT_OF_ORDER"
        notes = resync_notes(cdr)
        assert len(notes) == 1 and notes[0].startswith("channel gone after an ESL gap of")


def test_given_ecallmgr_sigkilled_mid_calls_when_a_new_one_starts_then_every_call_completes(
    stack_factory, account
):
    stack, playing = calls_playing(stack_factory, account, "4400", 10, {"esl_lease_ttl": 1.0})

    stack.ecallmgr.kill()
    wait_for(lambda: not stack.emulator.switch.listeners, 10, "the listener gone")
    parked = [stack.emulator.place_call("4400", variables=account.variables) for _ in range(5)]
    for call in playing:  # the tones end while no ecallmgr runs
        call.wait_for_event("CHANNEL_EXECUTE_COMPLETE", nth=2, timeout=10)
    stack.start_ecallmgr()

    calls = playing + parked
    assert [call.wait_hangup(timeout=60) for call in calls] == ["NORMAL_CLEARING"] * len(calls)
    for call in calls:
        cdr = wait_for(lambda c=call: account.cdr(c.uuid), 30, "the CDR")
        assert resync_notes(cdr), cdr["trace"]
