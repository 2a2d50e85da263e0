"""The pipeline with its call state on a Redis Cluster: three masters, three replicas.

Every process gets ``KAZOO_REDIS_URL=redis+cluster://...`` and talks to the cluster through
redis-py's cluster client; each call's keys share its ``{call-id}`` hash tag, so each call
lives on one master and its scripts run there. Calls run their flows with no error
logged, and timers armed by calls on every master fire from the wheel, which lives on
one. The failover test SIGKILLs the master that
holds the timer wheel and the switch node's keys (the hardest one to lose) in the middle
of 200 calls: its replica takes over its slots after ``cluster-node-timeout`` (2 s) and
an election. Replication is asynchronous, so the writes the dead master acknowledged but
had not sent to its replica are gone: a probe writing to that master all the time counts
them, and the test prints the count and the window with no master for those slots.

Every call must still complete its flow, or end cleanly (hung up with a clear cause) with
a CDR; no command may reach the switch twice.

Marked ``cluster``: ``make test-cluster`` runs it, ``make test`` does not.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

import pytest
import redis

from kazoo_tasks import services
from kazoo_tasks.config import Settings
from kazoo_tasks.esl.emulator import Call
from kazoo_tasks.keys import node_key
from kazoo_tasks.testing.redis_cluster import ClusterNode, RedisClusterNodes
from kazoo_tasks.testing.stack import NODE_NAME, Stack
from kazoo_tasks.timers import wheel_key
from tests.e2e.conftest import TONE, on_cluster
from tests.e2e.test_load import assert_every_call_ran_the_flow_once, flow_commands, three_level_flow
from tests.e2e.test_redis_faults import STATE_LOST, assert_every_call_ended_with_a_cdr
from tests.e2e.test_timers import played_one_tone, timer_moves, waiting_flow
from tests.waiting import wait_for

pytestmark = pytest.mark.cluster

CALLS = 200
KILL_AFTER = 60
"""Calls placed before the master dies."""


def master_of(client: redis.RedisCluster, cluster: RedisClusterNodes, key: str) -> ClusterNode:
    """The node of ``cluster`` that is the master of ``key``'s slot now."""
    port = client.get_node_from_key(key).port
    return next(node for node in cluster.nodes if node.port == port)


def assert_no_errors_logged(stack: Stack) -> None:
    """No process of ``stack`` logged an error, an exception or a traceback."""
    failing = re.compile(r"\bERROR\b|Traceback|\w(Error|Exception)\b")
    processes = [p for p in (stack.ecallmgr, *stack.workers) if p is not None]
    assert [line for p in processes for line in p.log().splitlines() if failing.search(line)] == []


@dataclass
class WriteProbe:
    """Increments one key as fast as the cluster answers, remembering every value it was
    told; after a failover the first value the new master returns shows how many
    acknowledged increments the old one took with it."""

    client: redis.RedisCluster
    key: str
    acked: list[tuple[float, int]] = field(default_factory=list)
    errors: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self.acked.append((time.monotonic(), int(self.client.incr(self.key))))
            except services.REDIS_ERRORS:
                self.errors += 1
                time.sleep(0.05)
            time.sleep(0.002)

    def stop(self) -> None:
        self._stop.set()

    def lost_at(self, killed_at: float) -> tuple[int, float, float]:
        """(acknowledged increments lost, their span in seconds before the kill, seconds
        from the kill to the first increment the new master acknowledged)."""
        before = [(t, v) for t, v in self.acked if t < killed_at]
        after = [(t, v) for t, v in self.acked if t >= killed_at]
        last_before = before[-1][1]
        first_after_at, first_after = next((t, v) for t, v in after if v <= last_before + 1)
        lost = last_before - (first_after - 1)
        kept_at = next((t for t, v in before if v > first_after - 1), killed_at)
        return lost, killed_at - kept_at, first_after_at - killed_at


def test_given_a_redis_cluster_when_calls_run_then_each_runs_its_flow_once_with_its_keys_in_one_slot(  # noqa: E501
    cluster, stack_factory, account
):
    expected = three_level_flow(account)
    stack = stack_factory(overrides=on_cluster(cluster), workers=2, time_scale=0.2)
    client = services.new_redis_client(stack.settings)

    calls = stack.emulator.place_calls(
        50, rate=25, destination="3000", variables=account.variables
    ).result(120)

    assert_every_call_ran_the_flow_once(calls, expected)
    wait_for(lambda: all(account.cdr(call.uuid) for call in calls), 60, "every CDR")
    masters = {master_of(client, cluster, f"{{{call.uuid}}}").port for call in calls}
    assert len(masters) == 3  # the calls spread over the three masters
    client.close()
    assert_no_errors_logged(stack)  # no step failed and was retried: no detour on a cluster


def test_given_a_redis_cluster_when_calls_wait_for_a_digit_that_never_comes_then_each_timer_fires_once_from_the_wheel_on_another_master(  # noqa: E501
    cluster, stack_factory, account, test_modules
):
    account.callflow(["3000"], waiting_flow(1.0))
    stack = stack_factory(overrides=on_cluster(cluster), python_path=test_modules)
    client = services.new_redis_client(stack.settings)
    wheel = master_of(client, cluster, wheel_key(stack.settings.namespace))

    calls = [stack.emulator.place_call("3000", variables=account.variables) for _ in range(12)]

    for call in calls:
        assert timer_moves(played_one_tone(call, account, TONE)) == ["continue:timeout"]
    elsewhere = [c for c in calls if master_of(client, cluster, f"{{{c.uuid}}}") is not wheel]
    assert elsewhere  # calls on the other masters armed timers in the wheel's slot
    client.close()
    assert_no_errors_logged(stack)


def test_given_200_calls_on_a_redis_cluster_when_a_master_is_sigkilled_then_every_call_completes_or_ends_with_a_cdr(  # noqa: E501
    cluster, stack_factory, account
):
    expected = three_level_flow(account)
    stack = stack_factory(overrides=on_cluster(cluster), workers=2, time_scale=0.2)
    settings: Settings = stack.settings
    client = services.new_redis_client(settings)
    victim = master_of(client, cluster, wheel_key(settings.namespace))
    heir = cluster.replicas_of(victim)[0]
    node_keys_on_victim = master_of(client, cluster, node_key(settings.namespace, NODE_NAME, "x"))
    probe_key = next(
        key
        for key in (f"probe:{{{n}}}" for n in range(10_000))
        if master_of(client, cluster, key) is victim
    )
    probe = WriteProbe(client, probe_key)
    probing = threading.Thread(target=probe.run, daemon=True)
    probing.start()

    placed: list[Call] = []
    started = time.perf_counter()
    placing = stack.emulator.place_calls(
        CALLS, rate=50, destination="3000", variables=account.variables, on_placed=placed.append
    )
    wait_for(lambda: len(placed) >= KILL_AFTER, 60, f"{KILL_AFTER} calls placed")
    up_at_kill = sum(1 for call in list(placed) if call.hangup_cause is None)
    with victim.client() as direct:
        replication = direct.info("replication")
    behind = replication["master_repl_offset"] - replication["slave0"]["offset"]
    killed_at = time.monotonic()
    victim.kill()
    cluster.wait_promoted(heir)
    promoted_after = time.monotonic() - killed_at

    calls = placing.result(180)
    outcomes = assert_every_call_ended_with_a_cdr(calls, account, {"NORMAL_CLEARING", STATE_LOST})
    probe.stop()
    probing.join(10)
    assert up_at_kill > 0  # the kill hit calls in progress
    lost, lost_span, unavailable = probe.lost_at(killed_at)
    on_victim = [c for c in calls if master_of(client, cluster, f"{{{c.uuid}}}") is heir]
    complete = [c for c in calls if flow_commands(c) == expected]
    ended = [c for c in calls if c.hangup_cause == STATE_LOST]
    if not ended:  # nothing was lost that a call needed: then every call ran its flow once
        assert_every_call_ran_the_flow_once(calls, expected)
    client.close()
    print(
        f"{len(calls)} calls, {up_at_kill} up when master {victim.address} (timer wheel"
        f"{', node keys' if node_keys_on_victim is victim else ''}) was SIGKILLed "
        f"{killed_at - started:.1f} s after the first; {len(on_victim)} calls lived on it. "
        f"Replica {heir.address} promoted after {promoted_after:.1f} s. Outcomes (CDR "
        f"causes): {outcomes}; {len(complete)} ran their whole flow, {len(ended)} ended "
        f"with {STATE_LOST}. Its replica had acknowledged all but {behind} bytes of the "
        f"replication stream (acks come once a second). Probe: {lost} acknowledged writes "
        f"lost (the last "
        f"{lost_span * 1000:.0f} ms before the kill), no master for its slot during "
        f"{unavailable:.1f} s, {probe.errors} refused writes meanwhile"
    )
