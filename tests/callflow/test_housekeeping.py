"""The reaper: calls of a FreeSWITCH node whose heartbeat is gone, and calls without
events for too long, are closed with a CDR and their keys expire."""

from __future__ import annotations

import time

import pytest
import redis

from kazoo_tasks.callstate import node_alive_key
from kazoo_tasks.testing import RoleProcess
from tests.callflow.conftest import ACCOUNT_ID, cdr_of, node
from tests.waiting import wait_for
from workers.housekeeping import REAP_TASK


@pytest.fixture
def settings(settings):
    return settings.with_overrides(node_down_grace=0, orphan_timeout=1)


@pytest.fixture
def waiting_flow(save_callflow, switch):
    switch.hold_apps.add("playback")  # the switch never finishes the playback
    save_callflow("cf-wait", node("play", {"id": "tone_stream://long"}), numbers=["7000"])


def _heartbeat(settings, alive: bool) -> None:
    client = redis.Redis.from_url(settings.redis_url)
    key = node_alive_key(settings.namespace, "fs1")
    if alive:
        client.set(key, "1", ex=60)
    else:
        client.delete(key)
    client.close()


def test_given_a_node_without_heartbeat_when_the_reaper_runs_then_its_calls_end_with_node_down(
    settings, app, worker, switch, waiting_flow, documents, call_store
):
    call_ids = [switch.park("7000", account_id=ACCOUNT_ID) for _ in range(3)]
    for call_id in call_ids:
        wait_for(lambda c=call_id: "playback tone_stream://long" in switch.apps(c))
    _heartbeat(settings, alive=False)

    app.send_task(REAP_TASK)

    cdrs = [wait_for(lambda c=call_id: cdr_of(documents, c)) for call_id in call_ids]
    assert {cdr["hangup_cause"] for cdr in cdrs} == {"NODE_DOWN"}
    assert all(cdr["trace"][-1]["event"] == "CALL_REAPED" for cdr in cdrs)
    time.sleep(settings.hangup_grace + 0.5)
    assert [call_store.existing_keys(c) for c in call_ids] == [[], [], []]


def test_given_a_live_node_when_the_reaper_runs_then_only_calls_idle_past_the_orphan_timeout_end(
    settings, app, worker, switch, waiting_flow, documents
):
    _heartbeat(settings, alive=True)
    stale = switch.park("7000", account_id=ACCOUNT_ID)
    wait_for(lambda: switch.apps(stale))
    time.sleep(settings.orphan_timeout + 0.5)
    fresh = switch.park("7000", account_id=ACCOUNT_ID)
    wait_for(lambda: switch.apps(fresh))

    app.send_task(REAP_TASK)

    assert wait_for(lambda: cdr_of(documents, stale))["hangup_cause"] == "ORPHANED"
    time.sleep(1.0)
    assert cdr_of(documents, fresh) is None
    switch.hang_up(fresh)
    assert wait_for(lambda: cdr_of(documents, fresh))["hangup_cause"] == "NORMAL_CLEARING"


def test_given_kazoo_tasks_beat_running_when_a_node_dies_then_its_calls_are_reaped_on_schedule(
    settings, app, worker, switch, waiting_flow, documents, tmp_path
):
    call_id = switch.park("7000", account_id=ACCOUNT_ID)
    wait_for(lambda: switch.apps(call_id))
    _heartbeat(settings, alive=False)
    beat = RoleProcess(
        ["beat"], settings, tmp_path / "beat.log", env={"KAZOO_REAP_INTERVAL": "0.5"}
    ).start()
    try:
        assert wait_for(lambda: cdr_of(documents, call_id), 30)["hangup_cause"] == "NODE_DOWN"
    finally:
        beat.stop()
