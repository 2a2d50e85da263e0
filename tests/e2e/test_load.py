"""Many calls at once through a three-level callflow, with worker processes dying.

Three levels: answer → play → a branch into a second callflow (sleep → play → hang up).
The switch (the emulator) must receive, for every call, exactly the five commands of the
flow in order: a command applied twice, lost, or out of order fails the test.
"""

from __future__ import annotations

import os
import random
import signal
import time
from concurrent.futures import Future

import pytest

from kazoo_tasks.callstate import CallStore
from kazoo_tasks.esl.emulator import Call
from tests.e2e.conftest import SECOND_TONE, TONE, node
from tests.waiting import wait_for

pytestmark = pytest.mark.faults

CALLS = 200


def three_level_flow(account) -> list[tuple[str, str, str]]:
    """Save the flows; return the commands every call must produce, in order."""
    inner = account.callflow(
        ["inner-9000"],
        node(
            "sleep",
            {"duration": 100, "unit": "ms"},
            then=node("play", {"id": SECOND_TONE}, then=node("hangup")),
        ),
    )
    account.callflow(
        ["3000"],
        node("answer", then=node("play", {"id": TONE}, then=node("callflow", {"id": inner}))),
    )
    return [
        ("execute", "answer", ""),
        ("execute", "playback", TONE),
        ("execute", "sleep", "100"),
        ("execute", "playback", SECOND_TONE),
        ("hangup", "", ""),
    ]


def place(stack, account, count: int) -> Future[list[Call]]:
    return stack.emulator.place_calls(
        count, rate=100, destination="3000", variables=account.variables
    )


def stuck_calls(calls: list[Call], timeout: float) -> dict[str, list[tuple[str, str, str]]]:
    """Calls still up after ``timeout`` seconds (in all), with the commands they got."""
    deadline = time.monotonic() + timeout
    stuck = {}
    for call in calls:
        try:
            call.wait_hangup(timeout=max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            stuck[call.uuid] = [(c.kind, c.app, c.args) for c in call.commands]
    return stuck


def flow_commands(call: Call) -> list[tuple[str, str, str]]:
    """The commands the call's flow sent: not ecallmgr's re-sync probes (a new ecallmgr
    sends them to the calls it takes over) nor its ``uuid_dump`` reads (a re-sync's, or
    the state checks after Redis lost data: a Redis Cluster master that failed over)."""
    return [
        (c.kind, c.app, c.args)
        for c in call.commands
        if not (c.event_uuid or "").startswith("resync-")
        and (c.kind, c.app) != ("api", "uuid_dump")
    ]


def assert_every_call_ran_the_flow_once(calls: list[Call], expected) -> None:
    stuck = stuck_calls(calls, 120)
    assert not stuck, f"{len(stuck)} calls still up, with these commands: {stuck}"
    causes = [call.hangup_cause for call in calls]
    assert causes.count("NORMAL_CLEARING") == len(calls), sorted(set(causes))
    wrong = {call.uuid: flow_commands(call) for call in calls if flow_commands(call) != expected}
    assert not wrong, f"{len(wrong)} calls got other commands, e.g. {next(iter(wrong.items()))}"
    ids = [c.event_uuid for call in calls for c in call.commands if c.event_uuid]
    assert len(ids) == len(set(ids)), "a command reached the switch twice"


def test_given_solo_workers_when_they_are_sigkilled_one_after_another_under_200_calls_then_every_call_completes_once(  # noqa: E501
    stack_factory, account, redis_client
):
    """The `solo` layout of docs/operations.md ("Prefork or solo workers"): each process
    runs its tasks itself, so a SIGKILL takes the task it runs and its prefetched one with
    its broker connection; the broker gives both to the other processes."""
    expected = three_level_flow(account)
    stack = stack_factory(workers=3, concurrency=1, time_scale=0.05, worker_args=("--pool", "solo"))

    placing = place(stack, account, CALLS)
    for oldest in range(4):  # the three first workers, then the first one started since
        time.sleep(0.6)
        stack.workers[oldest].kill()
        stack.add_worker()

    calls = placing.result(60)
    assert_every_call_ran_the_flow_once(calls, expected)
    assert_every_call_has_a_cdr(account, CallStore(redis_client, stack.settings), calls)


def test_given_four_worker_processes_when_200_calls_arrive_together_then_each_runs_its_three_level_flow_in_order(  # noqa: E501
    stack_factory, account
):
    expected = three_level_flow(account)
    stack = stack_factory(workers=2, concurrency=2)

    calls = place(stack, account, CALLS).result(60)

    assert_every_call_ran_the_flow_once(calls, expected)
    wait_for(lambda: all(account.cdr(call.uuid) for call in calls), 60, "every CDR")


def missing_cdrs(account, store: CallStore, calls: list[Call]) -> dict[str, dict]:
    """The calls without a CDR, with what Redis still holds of each (for the message)."""
    return {
        call.uuid: {"keys": store.existing_keys(call.uuid), "outbox": store.outbox(call.uuid)}
        for call in calls
        if not account.cdr(call.uuid)
    }


def assert_every_call_has_a_cdr(account, store: CallStore, calls: list[Call]) -> None:
    """Every call's CDR is stored within 90 s (else: what Redis still holds of the rest)."""
    try:
        wait_for(lambda: all(account.cdr(call.uuid) for call in calls), 90, "every CDR")
    except AssertionError as timeout:
        missing = missing_cdrs(account, store, calls)
        raise AssertionError(f"calls without a CDR: {missing}") from timeout


def test_given_200_calls_running_when_worker_processes_are_sigkilled_repeatedly_then_every_call_completes_and_no_command_is_sent_twice(  # noqa: E501
    stack_factory, account, redis_client
):
    expected = three_level_flow(account)
    stack = stack_factory(workers=2, concurrency=2, time_scale=0.05)
    rng = random.Random(7)

    placing = place(stack, account, CALLS)
    kills = []
    for _ in range(5):
        time.sleep(0.6)
        worker = rng.choice([w for w in stack.workers if w.alive()])
        victim = rng.choice(worker.children() or [None])
        if victim is not None:
            os.kill(victim, signal.SIGKILL)
            kills.append(victim)
    whole = stack.workers[0]
    whole.kill()  # a whole worker (parent and pool) dies; a new one replaces it
    kills.append(whole.pid)
    stack.add_worker()

    calls = placing.result(60)
    assert len(kills) >= 4
    assert_every_call_ran_the_flow_once(calls, expected)
    assert_every_call_has_a_cdr(account, CallStore(redis_client, stack.settings), calls)
