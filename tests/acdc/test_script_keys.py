"""Every ACDc Lua script declares in ``KEYS`` each key it reads or writes, all in one slot.

A Redis Cluster routes a script by its declared keys; a key a script builds for itself
may live on another node, and even on one node it breaks once slots move. A Redis of our
own runs the whole call-center scenario (:mod:`tests.acdc.every_script`) under
``MONITOR``; every command each script ran is checked against that script's ``KEYS``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

import acdc
from acdc.distributor import Distributor
from acdc.lua import STALE
from acdc.queue import ENTERED, QueueConfig, Queues
from kazoo_tasks.testing.services import PrivateRedis
from tests.acdc.every_script import ACCOUNT, SCRIPTS, Clock, drive_every_script
from tests.lua_keys import ScriptWatch


def sha(body: str) -> str:
    return hashlib.sha1(body.encode()).hexdigest()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[redis.Redis]:
    with PrivateRedis(tmp_path / "redis") as private:
        client = redis.Redis.from_url(private.url, decode_responses=True)
        yield client
        client.close()


def test_given_the_acdc_sources_then_the_scenario_knows_every_script_they_register():
    found = {
        f"{path.stem}.{name}"
        for path in Path(acdc.__file__).parent.glob("*.py")
        for name in re.findall(r"register_script\(\s*(_[A-Z_]+)", path.read_text())
    }
    assert found == set(SCRIPTS)


def test_given_the_call_center_scenario_then_every_script_touches_only_keys_it_declared(
    server: redis.Redis,
):
    with ScriptWatch([server]) as watch:
        drive_every_script(server, "ns")

    names = {sha(body): name for name, body in SCRIPTS.items()}
    runs = [run for run in watch.runs(server) if run.commands]  # NOSCRIPT ran nothing
    assert {names.get(run.script, run.script) for run in runs} == set(SCRIPTS)
    touched = {names[run.script]: set() for run in runs}
    undeclared = {names[run.script]: set() for run in runs}
    for run in runs:
        touched[names[run.script]] |= run.touched
        undeclared[names[run.script]] |= run.undeclared()
    assert undeclared == {name: set() for name in SCRIPTS}
    assert [run.declared for run in runs if len(run.slots()) != 1] == []
    # the scenario reached the keys the scripts used to build themselves
    assert any(":agent:" in key for key in touched["distributor._CLAIM"])
    assert any(":member:" in key for key in touched["distributor._CLAIM"])
    assert any(":offer:" in key for key in touched["distributor._CLAIM"])
    assert any(":agent:" in key for key in touched["queue._ENTER"])


def test_given_an_agent_who_joined_after_the_roster_was_read_then_the_claim_is_stale_and_changes_nothing(  # noqa: E501
    server: redis.Redis,
):
    queues = Queues(server, "ns", ACCOUNT, Clock())
    center = Distributor(queues, lambda offers: None)
    config = QueueConfig.from_doc({"_id": "q1", "strategy": "ring_all"})
    for name in ("ann", "bob"):
        queues.agents.apply(name, "login")
        queues.join("q1", name)
    assert queues.enter(config, "call-1", "fs1") == ENTERED
    before = {key: server.dump(key) for key in server.scan_iter("*")}

    assert center.claim_among("q1", "offer-1", ["ann"], ["call-1"]) == STALE
    assert center.claim_among("q1", "offer-1", ["ann", "bob"], []) == STALE
    assert {key: server.dump(key) for key in server.scan_iter("*")} == before

    offer = center.claim("q1")  # reads the roster and the line again
    assert offer is not None and offer.agents == ("ann", "bob")


def test_given_a_caller_ahead_of_the_declared_ones_then_the_claim_is_stale(server: redis.Redis):
    clock = Clock()
    queues = Queues(server, "ns", ACCOUNT, clock)
    center = Distributor(queues, lambda offers: None)
    config = QueueConfig.from_doc({"_id": "q1"})
    queues.agents.apply("ann", "login")
    queues.join("q1", "ann")
    assert queues.enter(config, "call-1", "fs1") == ENTERED
    assert queues.enter(config, "call-vip", "fs1", priority=5) == ENTERED

    assert center.claim_among("q1", "offer-1", ["ann"], ["call-1"]) == STALE
    offer = center.claim_among("q1", "offer-1", ["ann"], ["call-vip", "call-1"])
    assert offer is not None and not isinstance(offer, str) and offer.call_id == "call-vip"
