"""A call center on a Redis Cluster: three masters, three replicas.

Two worker processes run the queue's callers and offer them to agents with ACDc's Lua
scripts; the calls' own keys spread over the three masters, the account's call center
lives in one slot (``{<account-id>}``). ``MONITOR`` on every master watches each script the
processes run (:mod:`tests.lua_keys`): none may touch a key it did not declare, which on a
cluster could live on another node, and none may span two slots. Every caller is connected
once or counted, no agent ever has two callers, and no process logs an error.

Marked ``cluster``: ``make test-cluster`` runs it, ``make test`` does not.
"""

from __future__ import annotations

import pytest
import redis
from redis.cluster import key_slot

from acdc.keys import agents_key
from kazoo_tasks.testing.redis_cluster import RedisClusterNodes
from tests.e2e.conftest import node, on_cluster
from tests.e2e.test_acdc import CallCenter, answered_legs, assert_never_double_booked
from tests.e2e.test_redis_cluster import assert_no_errors_logged, master_of
from tests.lua_keys import ScriptWatch
from tests.waiting import wait_for

pytestmark = pytest.mark.cluster

CALLERS = 24
AGENTS = 5


def test_given_a_redis_cluster_when_callers_queue_for_agents_then_each_script_keeps_to_its_declared_keys_in_one_slot(  # noqa: E501
    cluster: RedisClusterNodes, stack_factory, store, account
):
    stack = stack_factory(overrides=on_cluster(cluster), workers=2)
    center = CallCenter(stack, store, account)
    queue_id = center.queue(agent_ring_timeout=5, strategy="most_idle")
    center.dial_queue(queue_id, then=node("hangup"))
    masters = [redis.Redis.from_url(m.url, decode_responses=True) for m in cluster.masters()]

    with ScriptWatch(masters) as watch:
        for n in range(AGENTS):
            rule = {"reject": 486} if n == 0 else {"answer_after": (0, 1), "hangup_after": 1}
            center.agent(f"Agent{n}", queue_id, **rule)
        calls = [center.place() for _ in range(CALLERS)]
        for call in calls:
            call.wait_hangup(timeout=180)
        stats = wait_for(
            lambda: (s := center.queues.stats(queue_id)) and not s["waiting"] and s, 60
        )
    runs = [run for run in watch.all_runs() if run.commands]
    for master in masters:
        master.close()

    connected = [call for call in calls if answered_legs(call)]
    assert all(len(answered_legs(call)) <= 1 for call in calls)
    assert stats["entered"] == CALLERS
    assert stats["handled"] == len(connected) > 0
    assert stats["handled"] + stats.get("abandoned", 0) == stats["entered"]
    assert_never_double_booked(center.stream())

    acdc = [run for run in runs if any(":acdc:" in key for key in run.touched)]
    account_slot = key_slot(agents_key(stack.settings.namespace, account.id).encode())
    assert acdc and {frozenset(run.slots()) for run in acdc} == {frozenset({account_slot})}
    assert [(run.script, run.undeclared()) for run in runs if run.undeclared()] == []
    assert [run.declared for run in runs if len(run.slots()) != 1] == []
    calls_masters = {master_of(center.client, cluster, f"{{{c.uuid}}}").port for c in calls}
    assert len(calls_masters) > 1  # the calls' own keys live elsewhere too
    assert_no_errors_logged(stack)
    print(f"{len(runs)} script runs, {len(acdc)} of ACDc, each within its declared keys")
