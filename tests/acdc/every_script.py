"""One account's call center driven through every ACDc Lua script and each of their
branches that reads or writes keys: agents logging in, pausing and wrapping up; callers
entering (also a queue that refuses callers without agents, and a full one), offered by
each strategy, with and without skills, connected, missed, gone, abandoned; leases and
timers falling due. The script-keys tests run it against a plain Redis and a Redis Cluster
and watch what each script touches."""

from __future__ import annotations

import redis

from acdc import agent, distributor, queue
from acdc.distributor import CONNECTED, FAILED, Distributor
from acdc.queue import EMPTY, ENTERED, FULL, QueueConfig, Queues

ACCOUNT = "c" * 32

SCRIPTS = {
    "agent._APPLY": agent._APPLY,
    "queue._ENTER": queue._ENTER,
    "queue._LEAVE": queue._LEAVE,
    "queue._IDLE": queue._IDLE,
    "distributor._CLAIM": distributor._CLAIM,
    "distributor._OUTCOME": distributor._OUTCOME,
    "distributor._TAKE_DUE": distributor._TAKE_DUE,
}
"""Every Lua script of ACDc, by name."""


class Clock:
    """A clock the scenario moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def drive_every_script(client: redis.Redis, namespace: str) -> None:
    """Run the scenario in ``namespace`` (``client``: ``decode_responses=True``, a plain
    or a cluster client)."""
    clock = Clock()
    queues = Queues(client, namespace, ACCOUNT, clock)
    center = Distributor(queues, lambda offers: None, grace=5)
    agents = queues.agents
    strict = QueueConfig.from_doc({"_id": "strict", "enter_when_empty": False})
    small = QueueConfig.from_doc({"_id": "small", "max_queue_size": 1})
    everyone = QueueConfig.from_doc(
        {"_id": "everyone", "strategy": "ring_all", "agent_wrapup_time": 30}
    )
    idle = QueueConfig.from_doc({"_id": "idle", "strategy": "most_idle"})

    agents.apply("ann", "login", skills=["fr"])
    agents.apply("bob", "login")
    agents.apply("cid", "login", skills=["en", "fr"])
    agents.apply("dee", "login")
    agents.apply("dee", "pause", timeout=60)
    for name in ("ann", "bob", "cid"):
        queues.join("strict", name)
        queues.join("everyone", name)
    queues.join("idle", "bob")
    queues.join("small", "dee")

    # enter: a queue that refuses callers without agents reads its agents' states
    assert queues.enter(strict, "call-en", "fs1", skills=["en"]) == ENTERED
    clock.now += 1
    assert queues.enter(strict, "call-any", "fs1") == ENTERED
    assert queues.enter(small, "call-s1", "fs1") == ENTERED
    assert queues.enter(small, "call-s2", "fs1") == FULL
    nobody = QueueConfig.from_doc({"_id": "nobody", "enter_when_empty": False})
    queues.join("nobody", "dee")  # paused
    assert queues.enter(nobody, "call-n", "fs1") == EMPTY

    # claim: skills (the first caller needs "en": only cid), round robin
    [first, second] = center.distribute("strict")
    assert (first.call_id, first.agents) == ("call-en", ("cid",))
    assert second.call_id == "call-any"
    assert center.accept(first.offer_id)
    center.conclude(first.offer_id, CONNECTED, "cid")
    center.conclude(second.offer_id, FAILED)  # missed: the caller is back in line

    # ring all, wrap-up after the call
    assert queues.enter(everyone, "call-all", "fs1") == ENTERED
    [ringing] = center.distribute("everyone")
    center.conclude(ringing.offer_id, CONNECTED, ringing.agents[0])
    clock.now += 10
    center.caller_left("everyone", "call-all", "hangup")

    # most idle; the caller hangs up while offered (the offer is gone)
    assert queues.enter(idle, "call-idle", "fs1") == ENTERED
    center.distribute("idle")
    center.caller_left("idle", "call-idle", "hangup")

    # the connected caller hangs up, the waiting one gives up
    center.caller_left("strict", "call-en", "hangup")
    center.caller_left("strict", "call-any", "timeout")
    center.caller_left("small", "call-s1", "exit_key")

    # an offer nobody settles: its lease falls due; the wrap-up and the pause end too
    assert queues.enter(strict, "call-late", "fs1") == ENTERED
    assert center.distribute("strict")
    clock.now += 3600
    center.sweep()
    for name in ("strict", "small", "everyone", "idle", "nobody"):
        queues.settle_idle(name)
    assert {agents.status(a)["state"] for a in ("ann", "bob", "cid", "dee")} == {"ready"}
