"""The pipeline on a three-node RabbitMQ cluster with quorum queues, one node SIGKILLed.

Every process gets the three nodes' URLs (kombu's failover list) and connects to the
first; the call pipeline's queues are quorum queues, so their leaders live on that first
node too. Killing it (``kill -9``, no clean stop) in the middle of 200 calls takes away the
connections of ecallmgr and of every worker and the leaders of every queue: the clients
move to the next node, the queues elect new leaders among the two left, and every call
must still run its flow's commands exactly once, in order, and end with a CDR.

Marked ``cluster`` (three RabbitMQ nodes take about half a minute to start): ``make
test-cluster`` runs it, ``make test`` does not.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kazoo_tasks.bus import celery_queue_name, command_queue
from kazoo_tasks.celery_app import CELERY_ROLES
from kazoo_tasks.esl.emulator import Call
from kazoo_tasks.keys import node_key
from kazoo_tasks.testing.rabbitmq_cluster import RabbitMQCluster
from kazoo_tasks.testing.services import PrivateRabbitMQ
from kazoo_tasks.testing.stack import NODE_NAME
from tests.e2e.test_load import assert_every_call_ran_the_flow_once, three_level_flow
from tests.waiting import wait_for

pytestmark = pytest.mark.cluster

CALLS = 200
KILL_AFTER = 60
"""Calls placed before the node dies."""
FROZEN_HEARTBEAT = 4
"""AMQP heartbeat of the frozen-node test, seconds (a connection is given up after two
missed ones)."""
FROZEN_CONFIRM_TIMEOUT = 5.0
"""Publisher confirm timeout of the frozen-node test, seconds."""


@pytest.fixture
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RabbitMQCluster]:
    """Three clustered nodes; a test may parametrize it with Erlang's ``net_ticktime``."""
    ticktime = getattr(request, "param", None)
    with RabbitMQCluster(tmp_path / "rabbitmq", net_ticktime=ticktime) as started:
        yield started


def queue_types(node: PrivateRabbitMQ) -> dict[str, str]:
    """``{queue name: type}`` of every queue, as ``node`` lists them."""
    rows = json.loads(node.ctl("list_queues", "name", "type", "--formatter", "json"))
    return {row["name"]: row["type"] for row in rows}


def test_given_200_calls_on_a_rabbitmq_cluster_when_the_node_every_client_uses_is_sigkilled_then_every_call_runs_its_flow_once(  # noqa: E501
    cluster, stack_factory, account, redis_client
):
    expected = three_level_flow(account)
    overrides = {"broker_url": cluster.url, "broker_queue_type": "quorum"}
    stack = stack_factory(overrides=overrides, workers=2, time_scale=0.2)
    victim, survivor = cluster.nodes[0], cluster.nodes[1]
    ns = stack.settings.namespace
    pipeline = [celery_queue_name(ns, role) for role in CELERY_ROLES]
    pipeline.append(command_queue(ns, NODE_NAME).name)
    types = queue_types(survivor)
    assert {name: types.get(name) for name in pipeline} == dict.fromkeys(pipeline, "quorum")
    connections = json.loads(victim.ctl("list_connections", "pid", "--formatter", "json"))
    assert len(connections) >= 3  # ecallmgr and both workers are on the first node

    placed: list[Call] = []
    started = time.perf_counter()
    placing = stack.emulator.place_calls(
        CALLS, rate=50, destination="3000", variables=account.variables, on_placed=placed.append
    )
    wait_for(lambda: len(placed) >= KILL_AFTER, 60, f"{KILL_AFTER} calls placed")
    up_at_kill = sum(1 for call in list(placed) if call.hangup_cause is None)
    killed_at = time.perf_counter()
    victim.kill()

    calls = placing.result(120)
    assert_every_call_ran_the_flow_once(calls, expected)
    wait_for(lambda: all(account.cdr(call.uuid) for call in calls), 120, "every CDR")
    assert up_at_kill > 0  # the kill hit calls in progress
    assert victim.node not in cluster.running_nodes()
    stats_key = node_key(ns, NODE_NAME, "stats")
    sent = CALLS * len(expected)

    def stats(name: str) -> int:
        return int(float(redis_client.hget(stats_key, name) or 0))

    wait_for(lambda: stats("commands.sent") == sent, 10, f"{sent} commands written")
    skipped = stats("commands.duplicate")
    durations = sorted(call.hungup_at - call.created_at for call in calls)  # type: ignore[operator]
    print(
        f"{len(calls)} calls, {up_at_kill} up when {victim.node} was SIGKILLed "
        f"{killed_at - started:.1f} s after the first; all ran their five commands once "
        f"({sent} written; {skipped} delivered again by the broker, skipped), "
        f"{len(calls)} CDRs; call duration median {durations[len(calls) // 2]:.2f} s, "
        f"longest {durations[-1]:.2f} s; last hangup "
        f"{max(c.hungup_at for c in calls) - started:.1f} s after the first call"  # type: ignore[type-var]
    )


@pytest.mark.parametrize(
    "cluster", [None, 15], ids=["net_ticktime_60", "net_ticktime_15"], indirect=True
)
def test_given_200_calls_on_a_rabbitmq_cluster_when_the_node_every_client_uses_freezes_for_good_then_the_clients_move_and_every_call_runs_its_flow_once(  # noqa: E501
    cluster, stack_factory, account, redis_client
):
    """A frozen node (SIGSTOP: a GC pause, a stalled VM) keeps its TCP connections open and
    answers nothing. Left frozen, the clients must notice (AMQP heartbeats, the publisher
    confirm timeout) and move to the next node, as they do when the node is killed."""
    expected = three_level_flow(account)
    overrides = {
        "broker_url": cluster.url,
        "broker_queue_type": "quorum",
        "broker_heartbeat": FROZEN_HEARTBEAT,
        "broker_confirm_timeout": FROZEN_CONFIRM_TIMEOUT,
    }
    stack = stack_factory(overrides=overrides, workers=2, time_scale=0.2)
    victim = cluster.nodes[0]
    connections = json.loads(victim.ctl("list_connections", "pid", "--formatter", "json"))
    assert len(connections) >= 3  # ecallmgr and both workers are on the first node

    placed: list[Call] = []
    started = time.perf_counter()
    placing = stack.emulator.place_calls(
        CALLS, rate=50, destination="3000", variables=account.variables, on_placed=placed.append
    )
    wait_for(lambda: len(placed) >= KILL_AFTER, 60, f"{KILL_AFTER} calls placed")
    up_at_freeze = sum(1 for call in list(placed) if call.hangup_cause is None)
    frozen_at = time.perf_counter()
    victim.freeze()  # for the rest of the test; the fixture's stop thaws and stops it

    calls = placing.result(240)
    assert_every_call_ran_the_flow_once(calls, expected)
    wait_for(lambda: all(account.cdr(call.uuid) for call in calls), 120, "every CDR")
    assert up_at_freeze > 0  # the freeze hit calls in progress
    ns = stack.settings.namespace
    stats_key = node_key(ns, NODE_NAME, "stats")
    sent = CALLS * len(expected)

    def stats(name: str) -> int:
        return int(float(redis_client.hget(stats_key, name) or 0))

    wait_for(lambda: stats("commands.sent") == sent, 10, f"{sent} commands written")
    durations = sorted(call.hungup_at - call.created_at for call in calls)  # type: ignore[operator]
    print(
        f"net_ticktime {cluster.net_ticktime or 60} s: "
        f"{len(calls)} calls, {up_at_freeze} up when {victim.node} was frozen "
        f"{frozen_at - started:.1f} s after the first (heartbeat {FROZEN_HEARTBEAT} s, "
        f"confirm timeout {FROZEN_CONFIRM_TIMEOUT} s); all ran their five commands once "
        f"({sent} written; {stats('commands.duplicate')} delivered again, skipped), "
        f"{len(calls)} CDRs; call duration median {durations[len(calls) // 2]:.2f} s, "
        f"longest {durations[-1]:.2f} s; last hangup "
        f"{max(c.hungup_at for c in calls) - frozen_at:.1f} s after the freeze"  # type: ignore[type-var]
    )
