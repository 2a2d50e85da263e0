"""Every Lua script of the code base runs on a Redis Cluster, its keys in one hash slot.

A script runs on one node, so all its keys must live in one slot: the call's ``{call-id}``,
the ACDc account's ``{account-id}``, a registration's ``{realm:user}``, or a single key.
Each script is run here through the code that uses it against a real 3+3 cluster, with a
client that notes the keys of every ``EVAL``/``EVALSHA`` it sends; the test then checks:

* every script found in the sources (each ``register_script(X)`` and ``eval(X, ...)``) ran;
* the declared keys of each run map to one slot (redis-py refuses otherwise, too);
* every key each run touched, as the masters' ``MONITOR`` shows the commands a script
  runs (:mod:`tests.lua_keys`), was among its declared keys: Redis 7.0 would run a script
  that builds a key inside Lua even when that key lies in another slot of the same node
  (it refuses only other nodes' keys), so such a script would break only once the slots
  are moved. ACDc's scripts are driven through the whole call-center scenario of
  :mod:`tests.acdc.every_script`.

Marked ``cluster`` (six redis-servers, a few seconds): ``make test-cluster``.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.cluster import RedisCluster, key_slot

from callflow.camping import CampRequest, CampRequests
from callflow.cdr_spool import CdrSpool
from kazoo_tasks import conferences, services
from kazoo_tasks.callstate import CallStore
from kazoo_tasks.config import Settings
from kazoo_tasks.keys import changes_lease_key
from kazoo_tasks.lease import RedisLease
from kazoo_tasks.limit_claims import AccountLimits, LimitClaims
from kazoo_tasks.testing.redis_cluster import RedisClusterNodes
from kazoo_tasks.timers import ArmedTimer, TimerWheel
from tests.acdc.every_script import drive_every_script
from tests.lua_keys import ScriptWatch
from workers.ecallmgr.claims import CommandClaims
from workers.registrations import apply_registration

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("kazoo_tasks", "acdc", "api", "workers", "callflow")
SCRIPT_USE = re.compile(r"(?:register_script|client\.eval)\(\s*(_[A-Z_]+)")
"""A Lua script handed to Redis (``context.eval`` in js_sandbox.py is JavaScript's)."""


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

    limits = LimitClaims(client, ns)
    limited = [AccountLimits("account-1", calls=5), AccountLimits("reseller-1", calls=50)]
    kind = {"call": True, "carrier": True, "direction": "inbound"}
    assert limits.claim(call, limited, now=1.0, expire_at=2e9, **kind).allowed

    camps = CampRequests(client, settings)
    camp = CampRequest(call, "a" * 32, "sip.example.com", "fs1", "dev-a", "device", "2101",
                       "device", "dev-b", ("dev-b", "dev-c"))  # fmt: skip
    camps.add(camp, 60)
    assert camps.claim(camp.account_id, camp.member) is not None
    camps.forget(camp.account_id, camp.member, camp.devices)

    spool = CdrSpool(client, ns, flush_delay=0.2)
    spool.push([{"_id": "202612-call-1", "call_id": call}])
    spool.take("flush-1")
    spool.done("flush-1")

    drive_every_script(client, ns)


def test_given_a_redis_cluster_when_every_lua_script_runs_then_the_keys_of_each_share_one_slot(
    client: RecordingCluster, settings: Settings, cluster: RedisClusterNodes
):
    on_cluster = settings.with_overrides(redis_url=cluster.url)
    expected = every_script()
    assert len(expected) >= 19  # the scripts the sources held when this test was written

    masters = [
        redis.Redis.from_url(master.url, decode_responses=True) for master in cluster.masters()
    ]
    with ScriptWatch(masters) as watch:
        run_every_script(client, on_cluster)
    runs = [run for run in watch.all_runs() if run.commands]  # a NOSCRIPT reply ran nothing
    for master in masters:
        master.close()

    ran = {sha for sha, _ in client.scripts}
    assert {expected[sha] for sha in set(expected) - ran} == set()
    spread = {
        expected.get(sha, sha): keys
        for sha, keys in client.scripts
        if len({key_slot(k.encode()) for k in keys}) > 1
    }
    assert spread == {}
    assert len(runs) >= len(expected)
    undeclared: dict[str, set[str]] = {}
    for run in runs:
        if run.undeclared():
            undeclared.setdefault(expected.get(run.script, run.script), set()).update(
                run.undeclared()
            )
    assert undeclared == {}
    assert [run.declared for run in runs if len(run.slots()) != 1] == []
    touched = sum(len(run.touched) for run in runs)
    print(
        f"{len(expected)} scripts, {len(runs)} runs touching {touched} keys, "
        "each key declared, each run in one slot"
    )
