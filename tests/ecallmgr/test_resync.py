"""ESL gap re-sync against the transcript switch: exactly what reaches each call's inbox.

After every (re)connection ecallmgr lists the switch's channels once, probes the calls
whose command completions may have fallen in the gap, ends the calls that vanished and
takes over the calls that parked meanwhile (docs/ecallmgr.md, "Re-sync after a gap").
"""

from __future__ import annotations

import re

from kombu import Connection

from kazoo_tasks.bus import EVENTS_TASK, celery_queue_name
from kazoo_tasks.keys import node_key
from tests.conftest import TEST_BROKER_URL
from tests.ecallmgr.conftest import (
    NODE,
    inbox,
    new_call_id,
    park_call,
    playback,
    publish_command,
)
from tests.ecallmgr.transcripts import call_events, completion_event, park_index
from tests.waiting import wait_for
from workers.ecallmgr.running import running_key

PROBE_ID = re.compile(rb"Event-UUID: (resync-[0-9a-f]+)")


def names(client, settings, call_id):
    return [e["name"] for e in inbox(client, settings, call_id)]


def cut_and_wait_for_the_next_connection(switch):
    first = switch.subscribed()[0]
    switch.cut()
    return wait_for(
        lambda: [c for c in switch.subscribed() if c is not first], what="a new subscription"
    )[0]


def park_with_a_playback_in_flight(switch, spawn_ecallmgr, settings, client):
    """An ecallmgr, a parked call and a playback the switch accepted: (call id, command)."""
    spawn_ecallmgr()
    wait_for(switch.subscribed, what="ecallmgr")
    call_id = new_call_id()
    park_call(switch, call_id)
    wait_for(lambda: names(client, settings, call_id) == ["CHANNEL_PARK"])
    command = playback(call_id)
    publish_command(settings, command)
    wait_for(lambda: switch.commands(b"sendmsg"), what="the playback")
    return call_id, command


def probe_of(connection) -> str:
    found = wait_for(lambda: PROBE_ID.search(bytes(connection.received)), what="the probe")
    return found.group(1).decode()


def test_given_a_completion_lost_in_a_cut_when_the_probe_completes_then_the_node_gets_it_first(
    switch, spawn_ecallmgr, node_settings, redis_client
):
    call_id, command = park_with_a_playback_in_flight(
        switch, spawn_ecallmgr, node_settings, redis_client
    )
    second = cut_and_wait_for_the_next_connection(switch)  # the playback ends meanwhile
    probe = probe_of(second)
    assert b"execute-app-name: set\n" in bytes(second.received)

    switch.send(completion_event(call_id, probe, "set", "kazoo_resync=1"))

    wait_for(lambda: len(inbox(redis_client, node_settings, call_id)) == 3)
    recovered, probed = inbox(redis_client, node_settings, call_id)[1:]
    assert recovered["name"] == "CHANNEL_EXECUTE_COMPLETE"
    assert recovered["application_uuid"] == command["id"]
    assert recovered["application_name"] == "playback"
    assert recovered["headers"]["Kazoo-Synthetic"].startswith("completion lost in an ESL gap")
    assert probed["application_uuid"] == probe
    assert probed["headers"]["Kazoo-Resync"] == "ESL re-sync probe completed"
    assert redis_client.llen(running_key(node_settings.namespace, call_id)) == 0


def test_given_a_command_still_running_after_a_cut_then_its_own_completion_is_delivered_alone(
    switch, spawn_ecallmgr, node_settings, redis_client
):
    call_id, command = park_with_a_playback_in_flight(
        switch, spawn_ecallmgr, node_settings, redis_client
    )
    second = cut_and_wait_for_the_next_connection(switch)
    probe = probe_of(second)

    switch.send(completion_event(call_id, command["id"], "playback", command["args"]))
    switch.send(completion_event(call_id, probe, "set", "kazoo_resync=1"))

    wait_for(lambda: len(inbox(redis_client, node_settings, call_id)) == 3)
    real, probed = inbox(redis_client, node_settings, call_id)[1:]
    assert real["application_uuid"] == command["id"]
    assert "Kazoo-Synthetic" not in real["headers"]
    assert probed["application_uuid"] == probe


def test_given_a_call_that_hangs_up_during_a_cut_then_it_is_ended_at_reconnect(
    switch, spawn_ecallmgr, node_settings, redis_client
):
    call_id, _ = park_with_a_playback_in_flight(switch, spawn_ecallmgr, node_settings, redis_client)
    switch.channels.discard(call_id)  # the caller hangs up while nobody listens

    second = cut_and_wait_for_the_next_connection(switch)

    wait_for(lambda: len(inbox(redis_client, node_settings, call_id)) == 2)
    hangup = inbox(redis_client, node_settings, call_id)[1]
    assert hangup["name"] == "CHANNEL_HANGUP_COMPLETE"
    assert hangup["hangup_cause"] == "NETWORK_OUT_OF_ORDER"
    assert hangup["headers"]["Kazoo-Synthetic"].startswith("channel gone after an ESL gap of")
    assert PROBE_ID.search(bytes(second.received)) is None  # nothing to probe: it is gone
    controlled = node_key(node_settings.namespace, NODE, "controlled")
    wait_for(lambda: redis_client.smembers(controlled) == set(), what="the set emptied")
    assert redis_client.llen(running_key(node_settings.namespace, call_id)) == 0


def test_given_a_call_that_parked_while_nobody_listened_then_it_is_taken_over_and_routed(
    switch, spawn_ecallmgr, node_settings, redis_client
):
    call_id = new_call_id()
    switch.channels.add(call_id)  # parked before ecallmgr connected: no event will come
    spawn_ecallmgr()
    connection = wait_for(switch.subscribed, what="ecallmgr")[0]

    park = wait_for(lambda: inbox(redis_client, node_settings, call_id), what="the park")[0]
    assert f"api uuid_dump {call_id} json".encode() in bytes(connection.received)
    assert park["name"] == "CHANNEL_PARK"
    assert park["headers"]["Kazoo-Synthetic"].startswith("parked during an ESL gap")
    assert park["headers"]["Caller-Destination-Number"] == "6000"  # from the switch's dump
    assert park["headers"]["Unique-ID"] == call_id
    controlled = node_key(node_settings.namespace, NODE, "controlled")
    wait_for(lambda: call_id in redis_client.smembers(controlled), what="controlled")

    events = call_events(call_id)  # its later events are the pipeline's now
    switch.send(b"".join(events[park_index(events) + 1 :]))
    wait_for(lambda: len(inbox(redis_client, node_settings, call_id)) == 6, what="its events")


def test_given_commands_racing_their_calls_hangups_then_the_controlled_set_keeps_no_ghost(
    switch, spawn_ecallmgr, node_settings, redis_client
):
    spawn_ecallmgr()
    wait_for(switch.subscribed, what="ecallmgr")
    calls = [new_call_id() for _ in range(50)]
    for call_id in calls:
        events, park = park_call(switch, call_id)
        switch.send(b"".join(events[park + 1 :]))  # answered, played, hung up
        switch.channels.discard(call_id)
    for call_id in calls:
        wait_for(
            lambda c=call_id: (
                names(redis_client, node_settings, c)[-1:] == ["CHANNEL_HANGUP_COMPLETE"]
            )
        )

    for call_id in calls:  # a worker's command arrives after the caller hung up
        publish_command(node_settings, playback(call_id))
    wait_for(lambda: len(switch.commands(b"sendmsg")) == len(calls), what="the late commands")

    controlled = node_key(node_settings.namespace, NODE, "controlled")
    wait_for(
        lambda: all(names(redis_client, node_settings, c)[-1] == "COMMAND_ERROR" for c in calls),
        what="every late command refused",
    )
    assert redis_client.smembers(controlled) == set()


def handle_events_tasks(settings) -> list[str]:
    """Take every ``handle_events`` task waiting in the callflow queue: their call ids."""
    queue = celery_queue_name(settings.namespace, "callflow")
    found = []
    with Connection(TEST_BROKER_URL) as conn:
        simple = conn.SimpleQueue(queue, no_ack=True)
        try:
            while True:
                try:
                    message = simple.get(timeout=0.2)
                except simple.Empty:
                    return found
                assert message.headers["task"] == EVENTS_TASK
                found.append(message.payload[0][0])
        finally:
            simple.close()


def test_given_an_event_stored_but_never_announced_when_the_link_comes_back_then_a_worker_is_woken_for_the_call(  # noqa: E501
    switch, spawn_ecallmgr, node_settings, redis_client
):
    spawn_ecallmgr()
    wait_for(switch.subscribed, what="ecallmgr")
    call_id = new_call_id()
    park_call(switch, call_id)
    wait_for(lambda: names(redis_client, node_settings, call_id) == ["CHANNEL_PARK"])
    publish_command(node_settings, playback(call_id))  # the call is controlled now
    wait_for(lambda: switch.commands(b"sendmsg"), what="the playback")
    # as if the ecallmgr that stored the park had died before sending its task
    assert wait_for(lambda: handle_events_tasks(node_settings), what="the park's task") == [call_id]

    cut_and_wait_for_the_next_connection(switch)

    assert wait_for(lambda: handle_events_tasks(node_settings), what="a wake-up") == [call_id]
    assert names(redis_client, node_settings, call_id) == ["CHANNEL_PARK"]  # nothing new stored
