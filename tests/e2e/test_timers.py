"""Timers through the whole pipeline (emulator, ecallmgr and worker processes, RabbitMQ,
Redis): a node waits for a caller's digit or a timeout, and the timeout path is taken
exactly once when the worker that ran the call is killed, or when a drainer dies after
delivering the timer and before removing it from the wheel."""

from __future__ import annotations

import os
import time

import pytest

from kazoo_tasks.celery_app import make_app
from kazoo_tasks.esl.emulator import script as s
from kazoo_tasks.testing import wait_for_workers
from kazoo_tasks.timers import ArmedTimer, TimerDrainer, TimerWheel
from tests.e2e.conftest import SECOND_TONE, TONE, node
from tests.waiting import wait_for

LONG_TONE = "tone_stream://%(200000,0,440)"  # 200 s: 4 s at the emulator's 50x speed


def waiting_flow(timeout: float, on_timeout: str = TONE) -> dict:
    """answer, then wait for a digit (1: SECOND_TONE) or ``timeout`` s (``on_timeout``)."""
    wait = node("wait_digit", {"timeout": timeout})
    wait["children"] = {
        "timeout": node("play", {"id": on_timeout}),
        "1": node("play", {"id": SECOND_TONE}),
    }
    return node("answer", then=wait)


def commands(call) -> list[tuple[str, str, str]]:
    return [(c.kind, c.app, c.args) for c in call.commands if c.kind != "api"]


def timer_moves(cdr: dict) -> list[str]:
    return [t["outcome"] for t in cdr["trace"] if t.get("event") == "TIMER_FIRED:no_digit"]


def played_one_tone(call, account, tone: str) -> dict:
    """Assert the call was answered, played ``tone`` and hung up; returns its CDR."""
    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert commands(call) == [
        ("execute", "answer", ""),
        ("execute", "playback", tone),
        ("hangup", "", ""),
    ]
    return wait_for(lambda: account.cdr(call.uuid), timeout=30.0, what="the CDR")


def armed_timer(redis_client, settings, call_id: str) -> ArmedTimer:
    wheel = TimerWheel(redis_client, settings)
    found = wait_for(
        lambda: [t for t in wheel.timers() if t.call_id == call_id], what="the timer armed"
    )
    return found[0]


def test_given_a_caller_who_presses_nothing_when_the_timeout_passes_then_the_timeout_child_runs(
    stack_factory, account, test_modules
):
    account.callflow(["3000"], waiting_flow(1.0))
    stack = stack_factory(python_path=test_modules)

    call = stack.emulator.place_call("3000", variables=account.variables)

    assert timer_moves(played_one_tone(call, account, TONE)) == ["continue:timeout"]


def test_given_a_caller_who_presses_1_when_the_node_waits_then_the_digit_wins_and_the_timer_never_fires(  # noqa: E501
    stack_factory, account, test_modules, redis_client
):
    account.callflow(["3000"], waiting_flow(30.0))
    stack = stack_factory(python_path=test_modules)

    call = stack.emulator.place_call(
        "3000", variables=account.variables, script=[s.on_answer().wait(1).press("1")]
    )

    cdr = played_one_tone(call, account, SECOND_TONE)
    assert timer_moves(cdr) == []
    assert [
        t for t in TimerWheel(redis_client, stack.settings).timers() if t.call_id == call.uuid
    ] == []


@pytest.mark.faults
def test_given_a_caller_who_never_presses_when_the_worker_that_ran_the_call_is_sigkilled_just_before_the_timeout_then_the_timeout_path_is_taken_once(  # noqa: E501
    stack_factory, account, test_modules, redis_client
):
    account.callflow(["3000"], waiting_flow(12.0))
    stack = stack_factory(python_path=test_modules)
    first = stack.workers[0]
    call = stack.emulator.place_call("3000", variables=account.variables)
    timer = armed_timer(redis_client, stack.settings, call.uuid)  # armed by the only worker
    stack.add_worker()
    wait_for_workers(stack.settings, 2)
    assert time.time() < timer.due_at - 1, "the second worker took too long to start"

    time.sleep(max(timer.due_at - time.time() - 0.3, 0))
    first.kill()
    assert not first.alive()

    cdr = played_one_tone(call, account, TONE)
    assert timer_moves(cdr) == ["continue:timeout"]
    fired = [t for t in cdr["trace"] if t.get("event") == "TIMER_FIRED:no_digit"][0]
    assert fired["at"] >= timer.due_at


def test_given_a_drainer_that_died_after_delivering_a_timer_when_the_timer_comes_due_again_then_the_duplicate_is_ignored(  # noqa: E501
    stack_factory, account, test_modules, redis_client
):
    account.callflow(["3000"], waiting_flow(3.0, on_timeout=LONG_TONE))
    stack = stack_factory(overrides={"timer_claim_ttl": 1.0}, python_path=test_modules)
    call = stack.emulator.place_call("3000", variables=account.variables)
    timer = armed_timer(redis_client, stack.settings, call.uuid)
    wheel = TimerWheel(redis_client, stack.settings)
    app = make_app(stack.settings, name=f"dying-drainer-{os.getpid()}")

    # a drainer claims the timer (ahead of the workers), delivers it when due, and dies
    # before removing it: the claim runs out and a worker's drainer delivers it again
    assert wheel.claim(timer.due_at) == [timer]
    time.sleep(max(timer.due_at - time.time(), 0))
    TimerDrainer(redis_client, app, stack.settings).deliver([timer], time.time())

    call.wait_for_command("playback", timeout=10)
    wait_for(lambda: not wheel.timers(), timeout=10, what="the second delivery")
    call.hangup()
    cdr = wait_for(lambda: account.cdr(call.uuid), timeout=30.0, what="the CDR")
    assert timer_moves(cdr) == ["continue:timeout", "ignored"]
    assert commands(call)[:2] == [("execute", "answer", ""), ("execute", "playback", LONG_TONE)]
    assert [c for c in commands(call) if c[1] == "playback"] == [("execute", "playback", LONG_TONE)]
    app.close()
