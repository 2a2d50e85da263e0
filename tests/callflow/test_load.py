"""Many calls, real worker processes, and workers killed while calls run."""

from __future__ import annotations

import random
import time
from collections import Counter

import pytest

from tests.callflow.conftest import ACCOUNT_ID, cdr_of, node
from tests.waiting import wait_for
from tests.workers import WorkerProcess, drop_worker_exchanges, wait_for_consumers

CALLS = 200
EXPECTED = [
    "answer",
    "playback tone_stream://level-2",
    "say en number pronounced 3",
    "speak flite|slt|back in level 2",
    "playback tone_stream://back-in-level-1",
    "hangup NORMAL_CLEARING",
]


@pytest.fixture
def three_levels(save_callflow):
    """1000 → answer, branch to level 2, then play; level 2 → play, branch to level 3, then
    speak; level 3 → say."""
    save_callflow("cf-level-3", node("say", {"say_text": "3"}))
    level_2 = node(
        "play",
        {"id": "tone_stream://level-2", "answer": False},
        _=node("callflow", {"id": "cf-level-3"}, _=node("tts", {"text": "back in level 2"})),
    )
    save_callflow("cf-level-2", level_2)
    level_1 = node(
        "answer",
        _=node(
            "callflow",
            {"id": "cf-level-2"},
            _=node("play", {"id": "tone_stream://back-in-level-1"}),
        ),
    )
    save_callflow("cf-level-1", level_1, numbers=["1000"])


@pytest.fixture
def worker_processes(settings, tmp_path):
    """Two ``kazoo-tasks worker -c 2``: four worker processes."""
    workers = [WorkerProcess(settings, 2, tmp_path / f"worker-{i}.log") for i in range(2)]
    try:
        for worker in workers:
            worker.start()
        wait_for_consumers(settings, len(workers))
        yield workers
    finally:
        for worker in workers:
            worker.stop()
        drop_worker_exchanges(settings)


def _place_calls(switch, count: int, per_second: float) -> list[str]:
    call_ids = []
    for i in range(count):
        call_ids.append(switch.park("1000", account_id=ACCOUNT_ID))
        if i % 10 == 9:
            time.sleep(10 / per_second)
    return call_ids


def _report(label: str, switch, call_ids: list[str], started: float) -> Counter:
    duplicates = Counter(
        call_id
        for call_id in call_ids
        if len(switch.received[call_id]) > len(switch.executed[call_id])
    )
    print(
        f"\n{label}: {len(call_ids)} calls in {time.monotonic() - started:.1f}s, "
        f"{sum(len(switch.received[c]) for c in call_ids)} commands received, "
        f"{sum(len(switch.received[c]) - len(switch.executed[c]) for c in call_ids)} duplicates "
        f"(same id) on {len(duplicates)} calls"
    )
    return duplicates


def test_given_four_worker_processes_when_200_calls_run_a_three_level_callflow_then_all_complete_with_their_commands_in_order(  # noqa: E501
    three_levels, worker_processes, switch, documents
):
    started = time.monotonic()
    call_ids = _place_calls(switch, CALLS, per_second=100)

    assert switch.wait_ended(call_ids, timeout=120) == []
    assert {c: switch.apps(c) for c in call_ids} == {c: EXPECTED for c in call_ids}
    assert _report("no kills", switch, call_ids, started) == Counter()
    assert wait_for(lambda: all(cdr_of(documents, c) for c in call_ids), timeout=60)


def test_given_worker_processes_sigkilled_during_200_calls_then_every_call_completes_and_no_command_runs_twice(  # noqa: E501
    settings, three_levels, worker_processes, switch, documents
):
    rng = random.Random(7)
    started = time.monotonic()
    kills = 0
    call_ids: list[str] = []
    for burst in range(10):
        call_ids += _place_calls(switch, CALLS // 10, per_second=200)
        if burst % 2 == 1:
            kills += worker_processes[burst % 2].kill_a_child(rng) is not None
    worker_processes[0].kill()  # a whole worker dies, then comes back
    kills += 1
    worker_processes[0].start()

    missing = switch.wait_ended(call_ids, timeout=180)

    assert missing == []
    assert {c: switch.apps(c) for c in call_ids} == {c: EXPECTED for c in call_ids}
    duplicates = _report(f"{kills} kills", switch, call_ids, started)
    # A duplicate can only come from a worker killed between publishing a step's commands
    # and trimming its outbox: at most the calls those kills interrupted (two per worker).
    assert len(duplicates) <= 2 * kills
    assert wait_for(lambda: all(cdr_of(documents, c) for c in call_ids), timeout=60)
