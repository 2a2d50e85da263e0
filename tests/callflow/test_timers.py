"""Timers through the engine: a node waits for a digit or a timeout. The timer is armed by
the step's commit, drained from the wheel by the worker into the call's inbox, applied
once, and ignored once its node has moved on (real RabbitMQ, Redis, worker)."""

from __future__ import annotations

import time

import pytest
import redis

from callflow.cdr_spool import cdr_spool
from callflow.exe import Environment
from callflow.runner import CallRunner, Done, Fenced, Publisher
from kazoo_tasks import inbox
from kazoo_tasks.timers import ArmedTimer, TimerDrainer, TimerWheel, fired_event, timer_id
from tests.callflow.conftest import ACCOUNT_ID, cdr_of, node
from tests.waiting import wait_for

TIMEOUT_TONE = "tone_stream://timeout"
ONE_TONE = "tone_stream://one"


def play(media: str) -> dict:
    return node("play", {"id": media, "answer": False})


def waiting_flow(timeout: float) -> dict:
    return node(
        "wait_digit", {"timeout": timeout}, timeout=play(TIMEOUT_TONE), **{"1": play(ONE_TONE)}
    )


def trace_of(call_store, call_id: str) -> list[dict]:
    record, _ = call_store.load(call_id)
    return record["trace"] if record else []


def armed_for(wheel: TimerWheel, call_id: str) -> list[ArmedTimer]:
    return [t for t in wheel.timers() if t.call_id == call_id]


@pytest.fixture
def waiting_callflow(test_modules, save_callflow):
    def save(timeout: float, number: str = "3000") -> str:
        save_callflow(f"cf-wait-{number}", waiting_flow(timeout), [number])
        return number

    return save


def test_given_a_node_waiting_for_a_digit_or_a_timeout_when_no_digit_comes_then_the_timeout_fires_once_and_its_child_runs(  # noqa: E501
    worker, switch, waiting_callflow, documents, timer_wheel
):
    number = waiting_callflow(0.3)

    call_id = switch.park(number, account_id=ACCOUNT_ID)

    assert switch.wait_ended([call_id]) == []
    assert switch.apps(call_id) == [f"playback {TIMEOUT_TONE}", "hangup NORMAL_CLEARING"]
    cdr = wait_for(lambda: cdr_of(documents, call_id))
    fired = [t for t in cdr["trace"] if t.get("event") == "TIMER_FIRED:no_digit"]
    assert [(t["module"], t["outcome"]) for t in fired] == [("wait_digit", "continue:timeout")]
    assert armed_for(timer_wheel, call_id) == []


def test_given_a_node_waiting_for_a_digit_or_a_timeout_when_the_digit_comes_first_then_the_timer_is_disarmed(  # noqa: E501
    worker, switch, waiting_callflow, documents, timer_wheel
):
    number = waiting_callflow(30)
    call_id = switch.park(number, account_id=ACCOUNT_ID)
    (armed,) = wait_for(lambda: armed_for(timer_wheel, call_id), what="the timer armed")
    assert armed.timer_id == timer_id(call_id, 0) and armed.name == "no_digit"
    assert armed.due_at == pytest.approx(time.time() + 30, abs=5)

    switch.deliver(switch.event(call_id, "DTMF", dtmf_digit="1"))

    assert switch.wait_ended([call_id]) == []  # long before the 30 s
    assert switch.apps(call_id) == [f"playback {ONE_TONE}", "hangup NORMAL_CLEARING"]
    assert armed_for(timer_wheel, call_id) == []
    cdr = wait_for(lambda: cdr_of(documents, call_id))
    moves = [
        (t.get("event"), t["outcome"]) for t in cdr["trace"] if t.get("module") == "wait_digit"
    ]
    assert moves == [(None, "wait"), ("DTMF", "continue:1")]
    assert not [t for t in cdr["trace"] if "TIMER_FIRED" in t.get("event", "")]


def test_given_a_node_that_moved_on_when_its_timer_is_delivered_late_then_it_is_ignored_and_traced(
    worker, switch, app, settings, waiting_callflow, documents, timer_wheel, call_store
):
    switch.hold_apps.add("playback")  # the child node keeps playing
    number = waiting_callflow(30)
    call_id = switch.park(number, account_id=ACCOUNT_ID)
    (armed,) = wait_for(lambda: armed_for(timer_wheel, call_id), what="the timer armed")
    switch.deliver(switch.event(call_id, "DTMF", dtmf_digit="1"))
    wait_for(lambda: switch.apps(call_id) == [f"playback {ONE_TONE}"], what="the child playing")

    # a drainer that claimed the timer just before the node moved on delivers it now
    inbox.deliver(switch.redis, app, settings, fired_event(armed, time.time()))

    ignored = wait_for(
        lambda: [t for t in trace_of(call_store, call_id) if t.get("step") == "timer"],
        what="the late timer in the trace",
    )
    assert ignored[0]["outcome"] == "ignored" and ignored[0]["event"] == "TIMER_FIRED:no_digit"
    switch.hang_up(call_id)
    cdr = wait_for(lambda: cdr_of(documents, call_id))
    assert [t["outcome"] for t in cdr["trace"] if t.get("step") == "timer"] == ["ignored"]
    assert switch.apps(call_id) == [f"playback {ONE_TONE}"]


def test_given_a_timer_that_fired_when_it_is_delivered_twice_more_then_the_timeout_path_runs_once(
    worker, switch, app, settings, waiting_callflow, documents, call_store
):
    switch.hold_apps.add("playback")
    number = waiting_callflow(0.2)
    call_id = switch.park(number, account_id=ACCOUNT_ID)
    wait_for(lambda: switch.apps(call_id) == [f"playback {TIMEOUT_TONE}"], what="timeout path")

    again = ArmedTimer(call_id, switch.node, timer_id(call_id, 0), "no_digit", time.time())
    for _ in range(2):
        inbox.deliver(switch.redis, app, settings, fired_event(again, time.time()))

    wait_for(
        lambda: len([t for t in trace_of(call_store, call_id) if t.get("step") == "timer"]) == 2,
        what="both duplicates in the trace",
    )
    switch.hang_up(call_id)
    cdr = wait_for(lambda: cdr_of(documents, call_id))
    timer_moves = [t["outcome"] for t in cdr["trace"] if "TIMER_FIRED" in t.get("event", "")]
    assert timer_moves == ["continue:timeout", "ignored", "ignored"]
    assert switch.apps(call_id) == [f"playback {TIMEOUT_TONE}"]


def test_given_a_step_whose_lock_was_lost_when_it_commits_then_it_arms_nothing_and_its_rerun_arms_the_same_timer(  # noqa: E501
    app, settings, waiting_callflow, documents, switch, call_store, timer_wheel
):
    number = waiting_callflow(30)
    client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    call_id = "fenced-call"
    park = switch.event(
        call_id,
        "CHANNEL_PARK",
        headers={
            "Caller-Destination-Number": number,
            "variable_ecallmgr_Account-ID": ACCOUNT_ID,
        },
    )
    inbox.append(client, settings, park)

    def paused_past_the_lock():  # another worker took the call meanwhile
        client.set(call_store.key(call_id, "lock"), "someone-else")
        return documents

    def runner(documents_of) -> CallRunner:
        env = Environment(settings=settings, documents=documents_of, now=time.time)
        return CallRunner(
            client, app, env, Publisher(app, TimerWheel(client, settings), cdr_spool(settings))
        )

    assert runner(paused_past_the_lock).drain(call_id) == Fenced()
    assert timer_wheel.timers() == [] and call_store.outbox(call_id) == []

    client.delete(call_store.key(call_id, "lock"))
    assert runner(lambda: documents).drain(call_id) == Done(1)
    assert [t.timer_id for t in timer_wheel.timers()] == [timer_id(call_id, 0)]
    client.close()


def test_given_a_drainer_that_claimed_a_timer_and_died_when_the_claim_expires_then_another_delivers_it(  # noqa: E501
    app, settings, timer_wheel
):
    short = settings.with_overrides(timer_claim_ttl=0.5)
    client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    wheel = TimerWheel(client, short)
    now = time.time()
    timer = ArmedTimer("call-x", "fs1", timer_id("call-x", 0), "timeout", now - 0.1)
    wheel.apply([timer.outbox_entry("arm")])

    assert [t.timer_id for t in wheel.claim(now)] == [timer.timer_id]  # then it dies
    assert wheel.claim(now) == []  # claimed: nobody else takes it meanwhile
    assert TimerDrainer(client, app, short).drain(now + 0.2) == 0

    assert TimerDrainer(client, app, short).drain(now + 0.6) == 1
    assert wheel.timers() == []
    events = client.xrange(inbox.inbox_key(settings, "call-x"))
    assert len(events) == 1 and '"timer_id":"' + timer.timer_id + '"' in events[0][1]["event"]
    client.close()
