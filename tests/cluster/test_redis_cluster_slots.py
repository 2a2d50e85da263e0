"""Every Lua script of the code base runs on a Redis Cluster, its keys in one hash slot.

A script runs on one node, so all its keys must live in one slot: the call's ``{call-id}``,
the ACDc account's ``{account-id}``, a registration's ``{realm:user}``, or a single key.
Each script is run here through the code that uses it against a real 3+3 cluster, with a
client that notes the keys of every ``EVAL``/``EVALSHA`` it sends; the test then checks:

* every script found in the sources (each ``register_script(X)`` and ``eval(X, ...)``) ran;
* the declared keys of each run map to one slot (redis-py refuses otherwise, too);
* the keys each run touched, as the masters' ``MONITOR`` shows the commands a script runs,
  map to one slot too: ACDc's scripts build the keys of agents, callers and offers from
  ``ARGV`` inside Lua, and Redis 7.0 runs such a script even when one of those keys lies in
  another slot of the same node (it refuses only other nodes' keys), so that it would break
  only once the slots are moved. Those keys carry the account's hash tag.

Marked ``cluster`` (six redis-servers, a few seconds): ``make test-cluster``.
"""

from __future__ import annotations

import hashlib
import importlib
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.cluster import RedisCluster, key_slot

from acdc.distributor import CONNECTED, Distributor
from acdc.queue import QueueConfig, Queues
from callflow.camping import CampRequest, CampRequests
from kazoo_tasks import conferences, services
from kazoo_tasks.callstate import CallStore
from kazoo_tasks.config import Settings
from kazoo_tasks.keys import changes_lease_key
from kazoo_tasks.lease import RedisLease
from kazoo_tasks.testing.redis_cluster import ClusterNode, RedisClusterNodes
from kazoo_tasks.timers import ArmedTimer, TimerWheel
from workers.ecallmgr.claims import CommandClaims
from workers.registrations import apply_registration

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("kazoo_tasks", "acdc", "api", "workers", "callflow")
SCRIPT_USE = re.compile(r"(?:register_script|\.eval)\(\s*(_[A-Z_]+)")


class RecordingCluster(RedisCluster):
    """redis-py's cluster client, noting the script (its SHA1) and keys of each call."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.scripts: list[tuple[str, list[str]]] = []

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        name = str(args[0]).upper()
        if name in ("EVAL", "EVALSHA"):
            numkeys = int(args[2])
            keys = [str(k) for k in args[3 : 3 + numkeys]]
            body = str(args[1])
            sha = hashlib.sha1(body.encode()).hexdigest() if name == "EVAL" else body
            self.scripts.append((sha, keys))
        return super().execute_command(*args, **kwargs)


class LuaWatch:
    """The commands the scripts run on each master (``MONITOR``), grouped by script run:
    Redis lists a script's own commands (client ``lua``) right after its EVAL/EVALSHA."""

    END = "end-of-lua-watch"

    def __init__(self, masters: list[ClusterNode]) -> None:
        self.masters = masters
        self.seen: dict[int, list[tuple[str, str]]] = {m.port: [] for m in masters}
        self._threads = [threading.Thread(target=self._watch, args=(m,)) for m in masters]
        self._ready = threading.Barrier(len(masters) + 1, timeout=30)

    def _watch(self, master: ClusterNode) -> None:
        with master.client() as client, client.monitor() as monitor:
            self._ready.wait()
            for entry in monitor.listen():
                if entry["command"] == f"ECHO {self.END}":
                    return
                self.seen[master.port].append((entry["client_type"], entry["command"]))

    def __enter__(self) -> LuaWatch:
        for thread in self._threads:
            thread.start()
        self._ready.wait()
        return self

    def __exit__(self, *exc: object) -> None:
        for master in self.masters:
            with master.client() as client:
                client.echo(self.END)
        for thread in self._threads:
            thread.join(30)

    def runs(self) -> list[set[str]]:
        """The keys each script run touched (the first argument of each of its commands)."""
        runs: list[set[str]] = []
        for entries in self.seen.values():
            for client_type, command in entries:
                name, _, rest = command.partition(" ")
                if client_type != "lua":
                    if name.upper() in ("EVAL", "EVALSHA"):
                        runs.append(set())
                    continue
                runs[-1].add(rest.split(" ", 1)[0])
        return runs


def every_script() -> dict[str, str]:
    """``{sha1: "module.NAME"}`` of every Lua script the sources run."""
    found = {}
    for package in SOURCES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "testing" in path.parts:
                continue
            names = SCRIPT_USE.findall(path.read_text())
            if not names:
                continue
            module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
            for name in names:
                body = getattr(module, name)
                found[hashlib.sha1(body.encode()).hexdigest()] = f"{module.__name__}.{name}"
    return found


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterNodes]:
    with RedisClusterNodes(tmp_path_factory.mktemp("redis-cluster")) as started:
        yield started


@pytest.fixture
def client(cluster: RedisClusterNodes) -> Iterator[RecordingCluster]:
    recording = RecordingCluster(
        startup_nodes=services.cluster_nodes(cluster.url), decode_responses=True
    )
    yield recording
    recording.close()


def run_every_script(client: redis.Redis, settings: Settings) -> None:
    """Drive each user of a Lua script through its scripts once."""
    ns, call = settings.namespace, "call-1"
    store = CallStore(client, settings)
    held = store.begin(call, 10)
    assert not isinstance(held, float)
    store.commit(call, held.token, {"status": "routed"}, "0", [{"type": "noop"}], 2e9)
    store.finish(call, held.token, trim=1)
    held = store.begin(call, 10)
    store.finish(call, held.token, pipe=client.pipeline(transaction=False))
    store.expire_at(call, 2e9)

    wheel = TimerWheel(client, settings)
    wheel.apply([ArmedTimer(call, "n1", "t1", "wait", 1.0).outbox_entry("arm")])
    assert [t.timer_id for t in wheel.claim(2.0)] == ["t1"]

    lease = RedisLease(client, changes_lease_key(ns), 30)
    assert lease.acquire() and lease.renew()
    lease.release()

    claims = CommandClaims(client, settings)
    assert claims.claim(call, "cmd-1", "me", running='{"app":"answer"}') is None
    claims.complete(call, "cmd-1")
    claims.end_calls([call])

    headers = {
        "Action": "add-member",
        "Member-ID": "7",
        "Conference-Name": "room-1",
        "Unique-ID": call,
        "Event-Date-Timestamp": "1700000000000000",
    }
    assert conferences.apply_event(client, ns, headers, "fs1")

    record = {"realm": "sip.example.com", "user": "1001", "expires": 60, "timestamp_us": 1}
    assert apply_registration(client, settings, "sofia::register", record)

    camps = CampRequests(client, settings)
    camp = CampRequest(call, "a" * 32, "sip.example.com", "fs1", "dev-a", "device", "2101",
                       "device", "dev-b", ("dev-b", "dev-c"))  # fmt: skip
    camps.add(camp, 60)
    assert camps.claim(camp.account_id, camp.member) is not None
    camps.forget(camp.account_id, camp.member, camp.devices)

    queues = Queues(client, ns, "a" * 32, lambda: 1_000_000.0)
    distributor = Distributor(queues, lambda offers: None, grace=5)
    config = QueueConfig.from_doc({"_id": "q1"})
    queues.agents.apply("agent-1", "login")
    queues.join("q1", "agent-1")
    queues.enter(config, call, "fs1")
    [offer] = distributor.distribute("q1")
    distributor.conclude(offer.offer_id, CONNECTED, "agent-1")
    distributor.caller_left("q1", call, "hangup")
    queues.settle_idle("q1")
    distributor.sweep(now=2_000_000.0)


def test_given_a_redis_cluster_when_every_lua_script_runs_then_the_keys_of_each_share_one_slot(
    client: RecordingCluster, settings: Settings, cluster: RedisClusterNodes
):
    on_cluster = settings.with_overrides(redis_url=cluster.url)
    expected = every_script()
    assert len(expected) >= 19  # the scripts the sources held when this test was written

    with LuaWatch(cluster.masters()) as watch:
        run_every_script(client, on_cluster)

    ran = {sha for sha, _ in client.scripts}
    assert {expected[sha] for sha in set(expected) - ran} == set()
    spread = {
        expected.get(sha, sha): keys
        for sha, keys in client.scripts
        if len({key_slot(k.encode()) for k in keys}) > 1
    }
    assert spread == {}
    runs = [keys for keys in watch.runs() if keys]  # a NOSCRIPT reply ran nothing
    assert len(runs) >= len(expected)
    touched_spread = [keys for keys in runs if len({key_slot(k.encode()) for k in keys}) > 1]
    assert touched_spread == []
    touched = sum(len(keys) for keys in runs)
    print(
        f"{len(expected)} scripts, {len(runs)} runs touching {touched} keys, each run in one slot"
    )
