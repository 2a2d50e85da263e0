"""One active ecallmgr per node: a standby takes over when the active one is SIGKILLed,
carries its calls on, and does not write again a command the first one wrote."""

from __future__ import annotations

import time

from kazoo_tasks.keys import node_key
from tests.ecallmgr.conftest import (
    NODE,
    inbox,
    new_call_id,
    park_call,
    playback,
    publish_command,
    queued_commands,
)
from tests.waiting import wait_for


def owner_pid(owner: str | None) -> int | None:
    return int(owner.split(":")[1]) if owner else None


def test_given_an_active_and_a_standby_when_the_active_is_killed_then_the_standby_takes_over(
    switch, spawn_ecallmgr, node_settings, redis_client
):
    lease_key = node_key(node_settings.namespace, NODE, "lease")
    alive_key = node_key(node_settings.namespace, NODE, "alive")
    first = spawn_ecallmgr()
    wait_for(switch.subscribed, what="the first process to connect")
    assert owner_pid(redis_client.get(lease_key)) == first.proc.pid
    second = spawn_ecallmgr()
    wait_for(lambda: "standby (lease held by" in second.log(), what="the standby")
    assert len(switch.connections) == 1
    assert owner_pid(redis_client.get(alive_key)) == first.proc.pid
    assert 0 < redis_client.ttl(alive_key) <= 10

    call_id = new_call_id()
    events, park = park_call(switch, call_id)
    written = playback(call_id)
    publish_command(node_settings, written)
    wait_for(lambda: switch.commands(b"sendmsg"), what="the first process's command")

    first.kill()
    killed_at = time.monotonic()
    new_conn = wait_for(
        lambda: [c for c in switch.subscribed() if c.opened_at > killed_at],
        timeout=10,
        what="the standby to connect",
    )[0]
    takeover = new_conn.opened_at - killed_at
    print(f"standby connected {takeover:.2f} s after the SIGKILL")
    assert owner_pid(redis_client.get(lease_key)) == second.proc.pid

    # the dead process's playback never completed: the standby's re-sync probes the call
    probe = wait_for(lambda: switch.commands(b"sendmsg")[1:], what="the re-sync probe")[0]
    assert b"execute-app-name: set" in probe and b"Event-UUID: resync-" in probe
    # a worker republishes the command the dead process wrote, then sends a new one
    fresh = playback(call_id)
    publish_command(node_settings, written)
    publish_command(node_settings, fresh)
    wait_for(lambda: len(switch.commands(b"sendmsg")) == 3, what="the new command")
    sent = switch.commands(b"sendmsg")
    assert written["id"].encode() in sent[0] and fresh["id"].encode() in sent[2]
    wait_for(lambda: queued_commands(node_settings) == 0)

    switch.send(b"".join(events[park + 1 :]))
    wait_for(lambda: len(inbox(redis_client, node_settings, call_id)) == 6, what="the call")
    assert [e["name"] for e in inbox(redis_client, node_settings, call_id)][-1] == (
        "CHANNEL_HANGUP_COMPLETE"
    )
    wait_for(lambda: owner_pid(redis_client.get(alive_key)) == second.proc.pid)
    time.sleep(0.5)
    assert len(switch.commands(b"sendmsg")) == 3

    assert second.stop() == 0  # graceful: exit to the switch, lease released
    assert redis_client.get(lease_key) is None
    assert switch.commands(b"exit")
