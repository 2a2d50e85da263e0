"""An ecallmgr frozen (SIGSTOP: a stalled VM, a long pause) after claiming a command and
before writing it, that wakes once a standby has taken the node over, does not write the
command: the standby settled the claim as never written and wrote it, once.

The freeze has to fall inside that window, which lasts a Redis round trip. The test holds
the window open with ``CLIENT PAUSE WRITE`` on Redis: the active process's claim script
waits in Redis while the test stops the process, then runs (the claim is recorded, its
reply waits in the stopped process's socket) when the pause ends.
"""

from __future__ import annotations

import os
import signal
import time

from kazoo_tasks.keys import node_key
from tests.ecallmgr.conftest import NODE, new_call_id, park_call, playback, publish_command
from tests.waiting import wait_for
from workers.ecallmgr.claims import DONE, claims_key

PAUSE_MS = 1500
"""How long Redis holds every write (the frozen process's claim among them)."""


def owner_pid(owner: str | None) -> int | None:
    return int(owner.split(":")[1]) if owner else None


def naming(commands: list[bytes], command_id: str) -> list[bytes]:
    return [c for c in commands if c.startswith(b"sendmsg") and command_id.encode() in c]


def test_given_the_active_frozen_between_its_claim_and_its_write_when_it_wakes_after_the_takeover_then_only_the_standby_writes_the_command(  # noqa: E501
    switch, spawn_ecallmgr, node_settings, redis_client
):
    ns = node_settings.namespace
    lease_key = node_key(ns, NODE, "lease")
    # a short broker heartbeat: the frozen process's unacknowledged command goes back to
    # the queue a few seconds after the freeze, for the standby to take
    first = spawn_ecallmgr(broker_heartbeat=2)
    wait_for(switch.subscribed, what="the first process to connect")
    second = spawn_ecallmgr(broker_heartbeat=2)
    wait_for(lambda: "standby (lease held by" in second.log(), what="the standby")
    first_conn = switch.subscribed()[0]

    call_id = new_call_id()
    park_call(switch, call_id)
    earlier = playback(call_id)  # written normally: the switch's written mark names it
    publish_command(node_settings, earlier)
    wait_for(lambda: naming(first_conn.commands, earlier["id"]), what="the first command")
    wait_for(lambda: redis_client.hget(claims_key(ns, call_id), earlier["id"]) == DONE)

    command = playback(call_id)
    redis_client.client_pause(PAUSE_MS, all=False)  # writes wait; reads go on
    paused_at = time.monotonic()
    try:
        publish_command(node_settings, command)
        time.sleep(0.5)  # the first process took the message and sent its claim
        os.kill(first.proc.pid, signal.SIGSTOP)
    finally:
        time.sleep(max(0.0, PAUSE_MS / 1000 - (time.monotonic() - paused_at)))
        redis_client.client_unpause()
    try:
        claimed = wait_for(
            lambda: redis_client.hget(claims_key(ns, call_id), command["id"]),
            what="the frozen process's claim, run when the pause ended",
        )
        assert owner_pid(claimed) == first.proc.pid
        wait_for(
            lambda: owner_pid(redis_client.get(lease_key)) == second.proc.pid,
            timeout=15,
            what="the standby to take the lease",
        )
        second_conn = wait_for(
            lambda: [c for c in switch.subscribed() if c is not first_conn],
            what="the standby to connect",
        )[0]
        wait_for(
            lambda: naming(second_conn.commands, command["id"]),
            timeout=30,
            what="the standby to write the command (once the broker gave it back)",
        )
    finally:
        os.kill(first.proc.pid, signal.SIGCONT)
    wait_for(
        lambda: (
            "lapsed before the write" in first.log() or naming(first_conn.commands, command["id"])
        ),
        what="the woken process to drop the command (or to write it)",
    )
    assert naming(first_conn.commands, command["id"]) == [], "the frozen process wrote it"
    assert len(naming(switch.commands(), command["id"])) == 1
    assert redis_client.hget(claims_key(ns, call_id), command["id"]) == DONE
