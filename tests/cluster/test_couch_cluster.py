"""The whole stack on a real three-node CouchDB cluster (n=3) that loses a node: while 200
calls run, the node every process talks to first is SIGKILLed; routing, CDR writes, the
change follower and the API carry on through the other two, nothing is lost, and the
node, started again, catches up with what it missed.

Not in the default run (marker ``couch_cluster``): ``make test-couch-cluster``.
docs/documents.md quotes its figures and how long it takes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from api.app import create_app
from api.server import start_in_thread
from kazoo_tasks.chaos.faults import FaultLog
from kazoo_tasks.chaos.run import NUMBER, seed, summarize
from kazoo_tasks.config import Settings
from kazoo_tasks.doc_changes import DOC_EDITED, binding_key
from kazoo_tasks.docstore import DocumentStore, account_db
from kazoo_tasks.docstore.couch import CouchDocumentStore
from kazoo_tasks.esl.emulator import Call
from kazoo_tasks.testing import Stack
from kazoo_tasks.testing.couchdb import ADMIN_USER, PrivateCouchCluster, couchdb_dist
from tests.changes.helpers import collecting
from tests.couchdb_server import ROOT
from tests.crossbar import new_account
from tests.waiting import wait_for

pytestmark = [pytest.mark.couch_cluster, pytest.mark.timeout(900)]

CALLS = 200
RATE = 10.0
PLAY_MS = 2000
KILL_AFTER = 50
"""Calls placed before the node is killed; it comes back once all are placed."""
EDITED = "7001"
BEFORE = "tone_stream://%(100,0,440)"
AFTER = "tone_stream://%(100,0,880)"


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[PrivateCouchCluster]:
    """Three real CouchDB nodes joined into one cluster, stopped afterwards."""
    dist = couchdb_dist(ROOT)
    if dist is None:
        raise RuntimeError("needs an Apache CouchDB release: ../shared/couchdb beside the "
                           "checkout, or KAZOO_TEST_COUCHDB_DIST")  # fmt: skip
    with PrivateCouchCluster(dist, tmp_path / "couchdb") as value:
        yield value


def _play(tone: str) -> dict[str, Any]:
    return {"module": "play", "data": {"id": tone, "answer": False}, "children": {}}


def _played(stack: Stack, account_id: str) -> str:
    """Call the edited number; the tone its callflow played."""
    call = stack.emulator.place_call(EDITED, variables={"ecallmgr_Account-ID": account_id})
    call.wait_hangup(60)
    (tone,) = [c.args for c in call.commands if c.app == "playback"]
    return tone


def _cdrs(store: DocumentStore, db: str) -> dict[str, dict[str, Any]]:
    return {cdr["call_id"]: cdr for cdr in store.find(db, {"pvt_type": "cdr"})}


def _replication_idle(cluster: PrivateCouchCluster) -> bool:
    """No internal replication job pending on any node."""
    for node in cluster.nodes:
        system = requests.get(
            f"{node.base_url}/_node/_local/_system", auth=(ADMIN_USER, node.password), timeout=10
        ).json()
        if system.get("internal_replication_jobs", 0):
            return False
    return True


def test_given_a_three_node_cluster_when_a_node_is_sigkilled_during_200_calls_then_nothing_is_lost_and_it_catches_up(  # noqa: E501
    settings: Settings, tmp_path: Path, cluster: PrivateCouchCluster
) -> None:
    started = time.monotonic()
    settings = settings.with_overrides(couchdb_url=cluster.url)
    store = CouchDocumentStore(cluster.url)
    account_id, expected = seed(store, PLAY_MS)
    db = account_db(account_id)
    edited = store.save(
        db, {"pvt_type": "callflow", "numbers": [EDITED], "name": "edited", "flow": _play(BEFORE)}
    )
    api = start_in_thread(create_app(settings, store))
    admin = new_account(store, api)
    killed, survivor = cluster.nodes[0], cluster.nodes[1]  # every process starts on nodes[0]
    stack = Stack(settings, tmp_path / "logs", workers=2, concurrency=2, time_scale=1.0,
                  changes=True)  # fmt: skip
    placed: list[Call] = []
    try:
        stack.start()
        assert _played(stack, account_id) == BEFORE
        placing = stack.emulator.place_calls(
            CALLS, rate=RATE, destination=NUMBER,
            variables={"ecallmgr_Account-ID": account_id}, on_placed=placed.append,
        )  # fmt: skip
        wait_for(lambda: len(placed) >= KILL_AFTER, timeout=120, what=f"{KILL_AFTER} calls")

        killed.kill()
        killed_at = time.monotonic()

        # the API goes on
        user = {"first_name": "Ada", "last_name": "Outage"}
        answer = admin.client.put(f"/accounts/{admin.id}/users", user)
        assert answer.status_code == 201, answer.text
        user_id = answer.json()["data"]["id"]
        assert admin.client.get(f"/accounts/{admin.id}/users/{user_id}").status_code == 200

        # the change follower goes on: an edit made straight into a surviving node is
        # published, and the next call to that number follows it
        with collecting(settings, binding_key(db=db)) as notes:
            response = requests.put(
                f"{survivor.base_url}/{quote(db, safe='')}/{edited['_id']}",
                json={**edited, "flow": _play(AFTER)},
                auth=(ADMIN_USER, survivor.password),
                timeout=30,
            )
            assert response.status_code == 201, response.text
            notes.wait_for(lambda c: c.doc_id == edited["_id"] and c.name == DOC_EDITED, 60)
        wait_for(lambda: _played(stack, account_id) == AFTER, timeout=60, what="the edit routed")

        calls = placing.result(CALLS / RATE + 300)
        killed.start()
        outage_s = time.monotonic() - killed_at
        cluster.wait_connected()
        wait_for(lambda: all(c.hungup_at is not None for c in calls), timeout=300,
                 what="every call ended")  # fmt: skip
        cdrs: dict[str, dict[str, Any]] = {}

        def every_cdr() -> bool:
            cdrs.update(_cdrs(store, db))
            return all(call.uuid in cdrs for call in calls)

        wait_for(every_cdr, timeout=300, what="a CDR for every call")
    finally:
        stack.stop()
        api.stop()

    result = summarize(calls, expected, cdrs, set(), FaultLog())
    result["killed_node_down_s"] = round(outage_s, 1)
    print(json.dumps(result))
    assert result["calls"] == CALLS
    assert result["lost"] == 0 and result["stuck"] == 0
    assert result["ended_with_cdr"] == CALLS and result["completed"] == CALLS

    # the killed node catches up: once internal replication is idle, it alone holds
    # everything written while it was down
    requests.post(f"{survivor.base_url}/{quote(db, safe='')}/_sync_shards",
                  auth=(ADMIN_USER, survivor.password), timeout=30)  # fmt: skip
    for _ in range(3):  # idle three times in a row
        wait_for(lambda: _replication_idle(cluster), timeout=120, what="replication idle")
        time.sleep(1)
    for node in cluster.nodes[1:]:
        node.stop()
    alone = CouchDocumentStore(killed.admin_url)
    assert set(_cdrs(alone, db)) >= {call.uuid for call in calls}
    assert alone.get(db, edited["_id"])["flow"] == _play(AFTER)
    assert alone.get(account_db(admin.id), user_id)["first_name"] == "Ada"
    print(f"cluster test took {time.monotonic() - started:.0f} s")
