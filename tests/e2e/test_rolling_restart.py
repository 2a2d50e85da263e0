"""The upgrade path ops follow (docs/operations.md): every worker, then ecallmgr,
restarted one by one (SIGTERM, a graceful stop) while 100 calls run. No call is
dropped, and every call gets exactly the commands of its flow, once, in order."""

from __future__ import annotations

import pytest

from kazoo_tasks.esl.emulator import Call
from kazoo_tasks.testing import RoleProcess
from kazoo_tasks.testing.processes import wait_for_workers
from tests.e2e.conftest import node
from tests.e2e.test_load import assert_every_call_ran_the_flow_once
from tests.waiting import wait_for

pytestmark = pytest.mark.faults

CALLS = 100
UP_AT_ONCE = 10
LONG_TONE = "tone_stream://%(2000,0,440)"


def test_given_100_calls_running_when_every_worker_then_ecallmgr_is_restarted_one_by_one_then_no_call_is_dropped(  # noqa: E501
    stack_factory, account, tmp_path
):
    account.callflow(["3100"], node("answer", then=node("play", {"id": LONG_TONE})))
    expected = [("execute", "answer", ""), ("execute", "playback", LONG_TONE), ("hangup", "", "")]
    stack = stack_factory(
        workers=2, concurrency=2, time_scale=1.0, overrides={"esl_lease_ttl": 1.0}
    )
    standby = RoleProcess(["ecallmgr"], stack.settings, tmp_path / "ecallmgr-new.log").start()
    wait_for(lambda: "standby" in standby.log(), 30, "a new ecallmgr on standby")
    placed: list[Call] = []
    placing = stack.emulator.place_calls(
        CALLS,
        concurrency=UP_AT_ONCE,  # about 2 s each, 10 at a time: the run lasts about 20 s
        destination="3100",
        variables=account.variables,
        on_placed=placed.append,
    )
    up_at_each_stop = []

    def calls_up() -> int:
        return sum(1 for call in placed if call.hungup_at is None)

    for mark, old in zip((10, 35), list(stack.workers), strict=True):
        wait_for(lambda m=mark: len(placed) >= m, 30, f"{mark} calls placed")
        stack.add_worker()  # the new worker is up before the old one leaves
        wait_for_workers(stack.settings, len(stack.workers))
        up_at_each_stop.append(calls_up())
        assert old.stop() == 0, old.log()[-2000:]
        stack.workers.remove(old)
    try:
        wait_for(lambda: len(placed) >= 60, 30, "60 calls placed")
        up_at_each_stop.append(calls_up())
        stack.ecallmgr.stop()  # the lease passes to the one on standby

        calls = placing.result(90)
        assert_every_call_ran_the_flow_once(calls, expected)
        wait_for(lambda: all(account.cdr(call.uuid) for call in calls), 90, "every CDR")
        assert "lease acquired" in standby.log()
        assert all(up_at_each_stop), f"calls up at each stop: {up_at_each_stop}"
        print(f"calls up at each stop: {up_at_each_stop}")
    finally:
        standby.stop()
