"""The written mark (workers/ecallmgr/written_mark.py): the ecallmgr that takes a node over
learns from the switch whether the one command its dead predecessor had claimed, and never
seen answered, reached the switch: written once either way, never lost, never twice."""

from __future__ import annotations

import pytest

from kazoo_tasks.keys import node_key
from tests.ecallmgr.conftest import (
    NODE,
    inbox,
    new_call_id,
    node_stats,
    playback,
    publish_command,
    queued_commands,
    without_marks,
)
from tests.waiting import wait_for
from workers.ecallmgr.claims import DONE, claims_key
from workers.ecallmgr.controlled import ControlledCalls
from workers.ecallmgr.running import running_entry, running_key
from workers.ecallmgr.written_mark import SEPARATOR, mark_variable

DEAD = "vm:4242:dead0001"
"""The owner id of the ecallmgr that died."""


@pytest.fixture
def in_flight(switch, node_settings, redis_client):
    """A call the dead ecallmgr controlled, with a playback it had claimed (claim and
    running entry in Redis, as its claim script left them) and never seen answered;
    returns ``(call_id, command, mark_of)``: ``mark_of(command_id)`` sets the switch's
    mark as if the dead ecallmgr had last written that command."""
    ns = node_settings.namespace
    call_id = new_call_id()
    switch.channels.add(call_id)
    command = playback(call_id)
    redis_client.hset(claims_key(ns, call_id), command["id"], DEAD)
    entry = running_entry(command["id"], command["app"], command["args"])
    redis_client.rpush(running_key(ns, call_id), entry)
    ControlledCalls(redis_client, node_key(ns, NODE, "controlled")).persist(added=[call_id])

    def mark_of(command_id: str) -> None:
        value = SEPARATOR.join((DEAD, call_id, command_id))
        switch.globals[mark_variable(ns)] = value

    return call_id, command, mark_of


def sendmsgs_naming(switch, command_id: str) -> list[bytes]:
    return [c for c in switch.commands(b"sendmsg") if command_id.encode() in c]


def test_given_the_switch_marked_the_claimed_command_as_written_when_its_copy_comes_back_then_it_is_not_written_again_nor_failed(  # noqa: E501
    switch, spawn_ecallmgr, node_settings, redis_client, in_flight
):
    call_id, command, mark_of = in_flight
    mark_of(command["id"])  # the dead ecallmgr wrote it, then died before the reply

    spawn_ecallmgr()
    wait_for(switch.subscribed)
    publish_command(node_settings, command)  # the unacknowledged copy, redelivered

    stats = wait_for(lambda: (s := node_stats(redis_client, node_settings)).get(
        "commands.duplicate") == 1 and s)  # fmt: skip
    assert stats.get("resync.reached") == 1
    assert redis_client.hget(claims_key(node_settings.namespace, call_id), command["id"]) == DONE
    assert sendmsgs_naming(switch, command["id"]) == []  # not written again...
    probes = [c for c in switch.commands(b"sendmsg") if b"resync-" in c]
    assert len(probes) == 1  # ...its completion comes from the switch, or from the probe
    assert [e["name"] for e in inbox(redis_client, node_settings, call_id)] == []
    assert queued_commands(node_settings) == 0


def test_given_the_switch_marked_an_earlier_command_when_the_claimed_one_comes_back_then_it_is_written_once(  # noqa: E501
    switch, spawn_ecallmgr, node_settings, redis_client, in_flight
):
    call_id, command, mark_of = in_flight
    mark_of("the-command-written-before")  # it died after the claim, before the write

    spawn_ecallmgr()
    wait_for(switch.subscribed)
    publish_command(node_settings, command)

    written = wait_for(lambda: sendmsgs_naming(switch, command["id"]))
    stats = wait_for(lambda: (s := node_stats(redis_client, node_settings)).get(
        "commands.sent") == 1 and s)  # fmt: skip
    assert len(written) == 1 and b"execute-app-name: playback" in written[0]
    assert stats.get("resync.unwritten") == 1 and not stats.get("commands.duplicate")
    assert [c for c in switch.commands(b"sendmsg") if b"resync-" in c] == []  # not probed
    assert redis_client.hget(claims_key(node_settings.namespace, call_id), command["id"]) == DONE
    assert inbox(redis_client, node_settings, call_id) == []  # no COMMAND_ERROR
    assert switch.globals[mark_variable(node_settings.namespace)].endswith(command["id"])
    assert b"resync-" not in without_marks(b"".join(switch.commands(b"sendmsg")))


def test_given_no_mark_on_the_switch_when_the_claimed_command_comes_back_then_its_outcome_stays_unknown(  # noqa: E501
    switch, spawn_ecallmgr, node_settings, redis_client, in_flight
):
    """A switch restarted since (its globals gone), or a claim of an older ecallmgr: the
    old rule holds, at most once (a COMMAND_ERROR tells the node)."""
    call_id, command, _ = in_flight

    spawn_ecallmgr()
    wait_for(switch.subscribed)
    publish_command(node_settings, command)

    errors = wait_for(lambda: inbox(redis_client, node_settings, call_id))
    assert [e["name"] for e in errors] == ["COMMAND_ERROR"]
    assert "outcome unknown" in errors[0]["application_response"]
    assert sendmsgs_naming(switch, command["id"]) == []
