"""Events in: subscription, controlled calls, what reaches the call inboxes and the broker."""

from __future__ import annotations

from kombu import Connection

from kazoo_tasks.bus import EVENTS_TASK, celery_queue_name
from kazoo_tasks.events import PIPELINE_EVENTS
from kazoo_tasks.keys import node_key
from tests.ecallmgr.conftest import NODE, after_resync, inbox, new_call_id, node_stats, resynced
from tests.ecallmgr.transcripts import CALL_AFTER_PARK, call_events, park_index
from tests.waiting import wait_for


def expected_names(events: list[bytes]) -> list[str]:
    names = []
    for frame in events[park_index(events) :]:
        name = frame.split(b"Event-Name: ", 1)[1].split(b"\n", 1)[0].decode()
        if name in PIPELINE_EVENTS:
            names.append(name)
    return names


def test_given_the_recorded_call_then_six_of_its_events_are_needed():
    assert expected_names(call_events(new_call_id())) == CALL_AFTER_PARK


def test_given_a_connection_then_it_authenticates_and_subscribes_to_pipeline_events_only(
    switch, spawn_ecallmgr
):
    spawn_ecallmgr()
    conn = wait_for(switch.subscribed, what="a subscribed connection")[0]
    wait_for(lambda: resynced(conn), what="the re-sync")
    assert after_resync(conn) == b""


def test_given_a_parked_call_when_its_events_arrive_then_only_needed_ones_reach_its_inbox_in_order(
    switch, spawn_ecallmgr, node_settings, redis_client
):
    spawn_ecallmgr()
    wait_for(switch.subscribed, what="a subscribed connection")
    call_id = new_call_id()
    events = call_events(call_id)
    switch.send(b"".join(events))

    stored = wait_for(
        lambda: (e := inbox(redis_client, node_settings, call_id)) and len(e) >= 6 and e,
        what="six events in the inbox",
    )
    assert [e["name"] for e in stored] == CALL_AFTER_PARK
    sequences = [e["sequence"] for e in stored]
    assert sequences == sorted(sequences)
    assert all(e["call_id"] == call_id and e["node"] == NODE for e in stored)
    complete = [e for e in stored if e["name"] == "CHANNEL_EXECUTE_COMPLETE"]
    assert [e["application_name"] for e in complete] == ["playback", "playback", "park"]
    assert complete[0]["application_response"] == "FILE PLAYED"

    stats = wait_for(
        lambda: (s := node_stats(redis_client, node_settings)).get("publish.events") == 6 and s
    )
    assert stats["reader.events"] == len(events)
    assert stats["events.uncontrolled"] == 5  # the dialplan's set/export before the park
    assert stats["events.unneeded"] == len(events) - 6 - 5
    assert stats.get("handoff.dropped", 0) == 0
    # the call ended: no longer controlled, in memory or in Redis
    calls_key = node_key(node_settings.namespace, NODE, "controlled")
    wait_for(lambda: not redis_client.sismember(calls_key, call_id), what="call released")

    with Connection(node_settings.broker_url) as conn:
        queue = conn.SimpleQueue(celery_queue_name(node_settings.namespace, "callflow"))
        tasks = []
        while queue.qsize():
            message = queue.get(timeout=5)
            tasks.append((message.headers["task"], tuple(message.payload[0])))
            message.ack()
        queue.close()
    assert tasks and set(tasks) == {(EVENTS_TASK, (call_id,))}


def test_given_a_call_that_never_parks_then_none_of_its_events_is_published(
    switch, spawn_ecallmgr, node_settings, redis_client
):
    spawn_ecallmgr()
    wait_for(switch.subscribed, what="a subscribed connection")
    ignored, parked = new_call_id(), new_call_id()
    events = call_events(ignored)
    without_park = events[: park_index(events)] + events[park_index(events) + 1 :]
    switch.send(b"".join(without_park) + b"".join(call_events(parked)))

    wait_for(lambda: len(inbox(redis_client, node_settings, parked)) == 6, what="marker call")
    assert inbox(redis_client, node_settings, ignored) == []
