"""Redis fails under load: a private redis-server paused, or SIGKILLed and restarted with
its AOF (``appendfsync everysec``, as ops run it) or without persistence (every key gone).

Every call must either complete its flow or end cleanly, hung up with a clear cause, and
have a CDR; none may stay on the switch with nobody in control.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kazoo_tasks.config import Settings
from kazoo_tasks.testing.services import PrivateRedis
from tests.e2e.conftest import node
from tests.e2e.test_load import stuck_calls
from tests.waiting import wait_for

pytestmark = pytest.mark.faults

CALLS = 60
TONE = "tone_stream://%(1500,0,440)"  # 1.5 s of tone at full speed; ~0.1 s here
STATE_LOST = "NORMAL_TEMPORARY_FAILURE"


@pytest.fixture(params=["aof", "no-persistence"])
def private_redis(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PrivateRedis]:
    with PrivateRedis(tmp_path / "redis", appendonly=request.param == "aof") as server:
        yield server


def run_calls_through(stack, account, fault) -> list:
    account.callflow(
        ["5100"],
        node("answer", then=node("play", {"id": TONE}, then=node("play", {"id": TONE}))),
    )
    placing = stack.emulator.place_calls(
        CALLS, rate=40, destination="5100", variables=account.variables
    )
    time.sleep(0.6)  # calls are being placed, routed and played
    faulting = threading.Thread(target=fault, daemon=True)
    faulting.start()
    calls = placing.result(120)
    faulting.join(60)
    return calls


def assert_every_call_ended_with_a_cdr(calls, account, allowed_causes) -> dict[str, int]:
    stuck = stuck_calls(calls, 90)
    assert not stuck, f"{len(stuck)} calls still up: {stuck}"
    outcomes: dict[str, int] = {}
    for call in calls:
        assert call.hangup_cause in allowed_causes, call.hangup_cause
        cdr = wait_for(lambda c=call: account.cdr(c.uuid), 60, f"the CDR of {call.uuid}")
        outcomes[cdr["hangup_cause"]] = outcomes.get(cdr["hangup_cause"], 0) + 1
    ids = [c.event_uuid for call in calls for c in call.commands if c.event_uuid]
    assert len(ids) == len(set(ids)), "a command reached the switch twice"
    return outcomes


def test_given_calls_running_when_redis_is_killed_and_restarted_then_every_call_ends_with_a_cdr(
    settings: Settings, private_redis: PrivateRedis, stack_factory, account
):
    overrides = {"redis_url": private_redis.url, "result_backend": private_redis.url}
    stack = stack_factory(overrides=overrides, workers=2, time_scale=0.05)

    calls = run_calls_through(stack, account, private_redis.restart)

    causes = {"NORMAL_CLEARING", STATE_LOST}
    outcomes = assert_every_call_ended_with_a_cdr(calls, account, causes)
    print(f"redis {'with AOF' if private_redis.appendonly else 'without persistence'}: {outcomes}")


def test_given_calls_running_when_redis_pauses_for_5_seconds_then_every_call_completes(
    settings: Settings, tmp_path: Path, stack_factory, account
):
    with PrivateRedis(tmp_path / "redis") as server:
        overrides = {"redis_url": server.url, "result_backend": server.url}
        stack = stack_factory(overrides=overrides, workers=2, time_scale=0.05)

        calls = run_calls_through(stack, account, lambda: server.pause(5.0))

        outcomes = assert_every_call_ended_with_a_cdr(calls, account, {"NORMAL_CLEARING"})
        assert outcomes == {"NORMAL_CLEARING": CALLS}
        stack.stop()
