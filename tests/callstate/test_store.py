"""The call-state layer on a real Redis: fenced commits, the outbox, the lock, expiry."""

from __future__ import annotations

import time

import pytest
import redis
from kombu import Connection

from callflow.exe import command_id
from callflow.runner import Busy, Done, runner_for
from kazoo_tasks.bus import command_queue
from kazoo_tasks.callstate import CallStore
from kazoo_tasks.celery_app import make_app
from tests.conftest import TEST_BROKER_URL


@pytest.fixture
def client(settings):
    client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def store(client, settings):
    return CallStore(client, settings)


def _command(call_id: str, seq: int) -> dict:
    return {
        "type": "command",
        "command": {
            "id": command_id(call_id, seq),
            "call_id": call_id,
            "node": "fs1",
            "kind": "execute",
            "app": "playback",
            "args": f"tone_stream://%(100,0,{400 + seq})",
            "event_lock": True,
            "hangup_cause": "NORMAL_CLEARING",
        },
    }


def _drain_queue(settings, expected: int, timeout: float = 10.0) -> list[dict]:
    got: list[dict] = []
    with Connection(TEST_BROKER_URL) as conn:
        queue = command_queue(settings.namespace, "fs1")
        with conn.SimpleQueue(queue) as simple:
            deadline = time.monotonic() + timeout
            while len(got) < expected and time.monotonic() < deadline:
                try:
                    message = simple.get(timeout=0.5)
                except simple.Empty:
                    continue
                got.append(message.payload)
                message.ack()
    return got


def test_given_a_lock_that_expired_when_its_old_holder_commits_then_nothing_is_written(
    store, client, settings
):
    token = store.acquire("call-a")
    assert token
    client.delete(store.key("call-a", "lock"))  # the lock expires under a paused worker
    newcomer = store.acquire("call-a")
    assert newcomer and newcomer != token

    stale = store.commit("call-a", token, {"v": "stale"}, "1-0", [_command("call-a", 0)], 2e9)

    assert stale is False
    assert store.load("call-a") == (None, "0")
    assert store.outbox("call-a") == []
    assert store.commit("call-a", newcomer, {"v": "fresh"}, "1-0", [], time.time() + 60)
    assert store.load("call-a") == ({"v": "fresh"}, "1-0")


def test_given_a_held_lock_when_another_worker_tries_then_it_is_told_how_long_to_wait(store):
    assert store.acquire("call-b")
    assert store.acquire("call-b") is None
    assert 0 < store.lock_remaining("call-b") <= 5.0


def test_given_a_release_with_a_foreign_token_when_released_then_the_lock_stays(store):
    token = store.acquire("call-c")
    assert store.release("call-c", "not-my-token") is False
    assert store.acquire("call-c") is None
    assert store.release("call-c", token) is True
    assert store.acquire("call-c")


def test_given_commands_left_in_the_outbox_by_a_dead_worker_when_the_call_is_drained_then_they_are_published_once_in_order(  # noqa: E501
    store, client, settings
):
    app = make_app(settings)
    token = store.acquire("call-d")
    entries = [_command("call-d", 0), _command("call-d", 1)]
    assert store.commit("call-d", token, None, "0", entries, time.time() + 60)
    client.delete(store.key("call-d", "lock"))  # the worker died; its lock expired

    result = runner_for(app).drain("call-d")

    assert isinstance(result, Done)
    published = _drain_queue(settings, expected=2)
    assert [c["id"] for c in published] == [command_id("call-d", 0), command_id("call-d", 1)]
    assert store.outbox("call-d") == []
    assert _drain_queue(settings, expected=1, timeout=1.0) == []


def test_given_a_call_locked_by_another_worker_when_drained_then_busy_with_the_locks_remaining_time(  # noqa: E501
    store, settings
):
    app = make_app(settings)
    store.acquire("call-e")
    result = runner_for(app).drain("call-e")
    assert isinstance(result, Busy)
    assert 0 < result.retry_in <= settings.call_lock_ttl + 0.1


def test_given_expire_at_when_set_then_every_key_of_the_call_expires_then(store, client):
    token = store.acquire("call-f")
    store.commit("call-f", token, {"v": 1}, "1-0", [_command("call-f", 0)], time.time() + 60)
    client.xadd(store.key("call-f", "inbox"), {"event": "{}"})
    store.release("call-f", token)
    store.expire_at("call-f", time.time() + 1)
    assert set(store.existing_keys("call-f")) == {
        store.key("call-f", p) for p in ("state", "cursor", "outbox", "inbox")
    }
    time.sleep(1.3)
    assert store.existing_keys("call-f") == []
    assert all("{call-f}" in k for k in store.keys("call-f"))
