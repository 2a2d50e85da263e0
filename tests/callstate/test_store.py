"""The call-state layer on a real Redis: fenced commits, the outbox, the lock, expiry."""

from __future__ import annotations

import json
import time

import pytest
import redis
from kombu import Connection

from callflow.exe import command_id
from callflow.runner import Busy, Done, runner_for
from kazoo_tasks.bus import command_queue
from kazoo_tasks.callstate import CallStore, Finished, Held, Locked
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


def _event(client, store, call_id: str, name: str) -> str:
    payload = json.dumps({"name": name, "call_id": call_id})
    return client.xadd(store.key(call_id, "inbox"), {"event": payload})


def test_given_a_lock_that_expired_when_its_old_holder_commits_then_nothing_is_written(
    store, client, settings
):
    held = store.begin("call-a", 10)
    assert isinstance(held, Held)
    client.delete(store.key("call-a", "lock"))  # the lock expires under a paused worker
    newcomer = store.begin("call-a", 10)
    assert isinstance(newcomer, Held) and newcomer.token != held.token

    stale = store.commit("call-a", held.token, {"v": "stale"}, "1-0", [_command("call-a", 0)], 2e9)

    assert stale is None
    assert store.load("call-a") == (None, "0")
    assert store.outbox("call-a") == []
    assert store.commit("call-a", newcomer.token, {"v": "fresh"}, "1-0", [], time.time() + 60) == []
    assert store.load("call-a") == ({"v": "fresh"}, "1-0")


def test_given_a_held_lock_when_another_worker_begins_then_it_is_told_how_long_to_wait(store):
    assert isinstance(store.begin("call-b", 10), Held)
    locked = store.begin("call-b", 10)
    assert isinstance(locked, Locked)
    assert 0 < locked.remaining <= 5.0


def test_given_a_finish_with_a_foreign_token_when_finished_then_the_lock_stays(store):
    held = store.begin("call-c", 10)
    assert store.finish("call-c", "not-my-token").held is False
    assert isinstance(store.begin("call-c", 10), Locked)
    assert store.finish("call-c", held.token).held is True
    assert isinstance(store.begin("call-c", 10), Held)


def test_given_unread_events_when_a_worker_begins_and_commits_then_it_reads_them_in_order_batch_by_batch(  # noqa: E501
    store, client
):
    ids = [_event(client, store, "call-g", name) for name in ("PARK", "ANSWER", "COMPLETE")]
    held = store.begin("call-g", 2)
    assert [e.entry_id for e in held.entries] == ids[:2]
    assert [e.event["name"] for e in held.entries] == ["PARK", "ANSWER"]
    assert (held.state, held.cursor, held.outbox) == (None, "0", [])

    following = store.commit("call-g", held.token, {"v": 1}, ids[1], [], 2e9, next_count=10)

    assert [e.entry_id for e in following] == ids[2:]
    assert store.commit("call-g", held.token, {"v": 2}, ids[2], [], 2e9, next_count=10) == []
    late = _event(client, store, "call-g", "HANGUP")
    assert store.finish("call-g", held.token) == Finished(held=True, unread=True)
    again = store.begin("call-g", 10)
    assert (again.state, again.cursor) == ({"v": 2}, ids[2])
    assert [e.entry_id for e in again.entries] == [late]


def test_given_published_outbox_entries_when_the_next_commit_or_the_finish_trims_them_then_only_unpublished_ones_stay(  # noqa: E501
    store,
):
    held = store.begin("call-h", 10)
    first, second, third = (_command("call-h", seq) for seq in range(3))
    store.commit("call-h", held.token, {"v": 1}, "1-0", [first, second], 2e9)

    store.commit("call-h", held.token, {"v": 2}, "2-0", [third], 2e9, trim=2)

    assert store.outbox("call-h") == [third]
    assert store.finish("call-h", held.token, trim=1) == Finished(held=True, unread=False)
    assert store.outbox("call-h") == []


def test_given_commands_left_in_the_outbox_by_a_dead_worker_when_the_call_is_drained_then_they_are_published_once_in_order(  # noqa: E501
    store, client, settings
):
    app = make_app(settings)
    held = store.begin("call-d", 10)
    entries = [_command("call-d", 0), _command("call-d", 1)]
    assert store.commit("call-d", held.token, None, "0", entries, time.time() + 60) == []
    client.delete(store.key("call-d", "lock"))  # the worker died; its lock expired

    result = runner_for(app).drain("call-d")

    assert isinstance(result, Done)
    published = _drain_queue(settings, expected=2)
    assert [c["id"] for c in published] == [command_id("call-d", 0), command_id("call-d", 1)]
    assert store.outbox("call-d") == []
    assert _drain_queue(settings, expected=1, timeout=1.0) == []


def test_given_an_ended_call_whose_worker_died_before_publishing_when_its_grace_ends_first_then_the_outbox_is_still_published(  # noqa: E501
    store, client, settings
):
    """The last step of a call carries its CDR; the call's grace (1 s in the e2e stacks)
    may end before the dead worker's lock does, and the outbox must outlive it."""
    app = make_app(settings)
    held = store.begin("call-g", 10)
    _event(client, store, "call-g", "CHANNEL_HANGUP_COMPLETE")
    entries = [_command("call-g", 0)]
    store.commit("call-g", held.token, {"status": "ended"}, "0", entries, time.time() + 0.2)
    time.sleep(0.4)  # the grace is over; the state is gone, the outbox is not
    assert store.existing_keys("call-g") == [
        store.key("call-g", "lock"),
        store.key("call-g", "outbox"),
    ]
    client.delete(store.key("call-g", "lock"))  # the dead worker's lock expires

    assert isinstance(runner_for(app).drain("call-g"), Done)

    assert [c["id"] for c in _drain_queue(settings, expected=1)] == [command_id("call-g", 0)]
    assert store.existing_keys("call-g") == []


def test_given_a_call_locked_by_another_worker_when_drained_then_busy_with_the_locks_remaining_time(  # noqa: E501
    store, settings
):
    app = make_app(settings)
    store.begin("call-e", 10)
    result = runner_for(app).drain("call-e")
    assert isinstance(result, Busy)
    assert 0 < result.retry_in <= settings.call_lock_ttl + 0.1


def test_given_expire_at_when_set_then_every_key_of_the_call_expires_then(store, client):
    held = store.begin("call-f", 10)
    store.commit("call-f", held.token, {"v": 1}, "1-0", [_command("call-f", 0)], time.time() + 60)
    client.xadd(store.key("call-f", "inbox"), {"event": "{}"})
    store.finish("call-f", held.token)
    store.expire_at("call-f", time.time() + 1)
    assert set(store.existing_keys("call-f")) == {
        store.key("call-f", p) for p in ("state", "cursor", "outbox", "inbox")
    }
    time.sleep(1.3)
    assert store.existing_keys("call-f") == []
    assert all("{call-f}" in k for k in store.keys("call-f"))
