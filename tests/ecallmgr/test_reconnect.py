"""Reconnection: cuts, refused passwords, hung commands and a killed ecallmgr process."""

from __future__ import annotations

import time

from tests.ecallmgr.conftest import (
    after_resync,
    confirmed,
    inbox,
    new_call_id,
    node_stats,
    park_call,
    playback,
    publish_command,
    queued_commands,
    resynced,
)
from tests.ecallmgr.transcripts import CALL_AFTER_PARK
from tests.waiting import wait_for

AFTER_RECONNECT = CALL_AFTER_PARK[1:]
"""The recorded call's pipeline events after its park (sent once ecallmgr is back)."""


def names(client, settings, call_id):
    return [e["name"] for e in inbox(client, settings, call_id)]


def test_given_a_cut_mid_call_then_the_pending_command_fails_cleanly_and_the_call_goes_on(
    switch, spawn_ecallmgr, node_settings, redis_client
):
    ecallmgr = spawn_ecallmgr()
    first = wait_for(switch.subscribed, what="first connection")[0]
    wait_for(lambda: confirmed(first), what="the re-sync's listings answered")
    call_id = new_call_id()
    events, park = park_call(switch, call_id)
    wait_for(lambda: names(redis_client, node_settings, call_id) == ["CHANNEL_PARK"])

    switch.hold_replies = True  # the switch reads the command and never answers
    command = playback(call_id)
    publish_command(node_settings, command)
    wait_for(lambda: switch.commands(b"sendmsg"), what="the command in flight")
    switch.hold_replies = False
    cut_at = time.monotonic()
    switch.cut()

    errors = wait_for(
        lambda: [
            e for e in inbox(redis_client, node_settings, call_id) if e["name"] != "CHANNEL_PARK"
        ]
    )
    assert errors[0]["name"] == "COMMAND_ERROR"
    assert errors[0]["application_uuid"] == command["id"]
    assert errors[0]["application_response"].startswith("no reply from FreeSWITCH: connection")

    second = wait_for(
        lambda: [c for c in switch.subscribed() if c is not first], what="a new subscription"
    )[0]
    assert second.opened_at > cut_at
    # re-authenticated, re-subscribed, then listed the switch's channels (one round trip,
    # whatever the number of calls); the call is listed and has nothing pending
    wait_for(lambda: resynced(second), what="the re-sync")
    assert after_resync(second) == b""

    switch.send(b"".join(events[park + 1 :]))
    wait_for(lambda: len(names(redis_client, node_settings, call_id)) == 7)
    assert names(redis_client, node_settings, call_id) == [
        "CHANNEL_PARK",
        "COMMAND_ERROR",
        *AFTER_RECONNECT,
    ]
    stats = wait_for(
        lambda: (s := node_stats(redis_client, node_settings)).get("esl.connects") == 2 and s
    )
    assert stats["commands.lost"] == 1
    assert queued_commands(node_settings) == 0
    assert ecallmgr.proc.poll() is None
    assert "reconnecting in" in ecallmgr.log()


def test_given_a_switch_that_keeps_refusing_then_reconnect_delays_grow_up_to_the_cap(
    switch, spawn_ecallmgr
):
    switch.accepting = False
    spawn_ecallmgr()  # back-off from 0.2 s doubling, capped at 2 s (node_settings)
    first = wait_for(lambda: switch.refused_at, what="a first attempt")[0]
    time.sleep(6 - (time.monotonic() - first))
    attempts = [t for t in switch.refused_at if t - first <= 6]
    gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    # the n-th delay is drawn in [c/2, c] for c = 0.2, 0.4, 0.8, 1.6, 2, 2...: in 6 s
    # at most 9 attempts (0.1 + 0.2 + 0.4 + 0.8 + 1 + 1 + 1 + 1 = 5.5 s), never a spin
    assert 4 <= len(attempts) <= 9, gaps
    assert min(gaps[3:]) >= 0.8, gaps


def test_given_a_wrong_password_then_a_clear_error_and_retries_with_backoff_not_a_crash_loop(
    switch, spawn_ecallmgr, node_settings, redis_client
):
    switch.password = "NotClueCon"
    ecallmgr = spawn_ecallmgr()
    first = wait_for(lambda: switch.connections, what="a first attempt")[0].opened_at
    time.sleep(5 - (time.monotonic() - first))
    attempts = switch.commands(b"auth ")
    assert 4 <= len(attempts) <= 8  # the same back-off: no crash loop
    assert set(attempts) == {b"auth ClueCon"}
    assert ecallmgr.proc.poll() is None
    log = ecallmgr.log()
    assert "refused the password (-ERR invalid); check KAZOO_FREESWITCH_NODES" in log
    assert "Traceback" not in log
    wait_for(
        lambda: node_stats(redis_client, node_settings).get("esl.auth_failures", 0) >= len(attempts)
    )

    switch.password = "ClueCon"
    wait_for(switch.subscribed, timeout=10, what="a subscription once the password is right")


def test_given_a_hung_switch_then_the_command_times_out_and_the_connection_is_renewed(
    switch, spawn_ecallmgr, node_settings, redis_client
):
    spawn_ecallmgr(esl_command_timeout=1.0)
    first = wait_for(switch.subscribed)[0]
    wait_for(lambda: confirmed(first), what="the re-sync's listings answered")
    call_id = new_call_id()
    switch.channels.add(call_id)
    switch.hold_replies = True
    command = playback(call_id)
    publish_command(node_settings, command)

    errors = wait_for(lambda: inbox(redis_client, node_settings, call_id))
    assert errors[0]["name"] == "COMMAND_ERROR"
    assert "no reply within 1 s" in errors[0]["application_response"]
    switch.hold_replies = False
    wait_for(lambda: [c for c in switch.subscribed() if c is not first])
    assert first.closed
    wait_for(lambda: node_stats(redis_client, node_settings).get("esl.command_timeouts") == 1)


def test_given_ecallmgr_is_killed_mid_call_then_a_new_process_carries_the_call_on(
    switch, spawn_ecallmgr, node_settings, redis_client
):
    first = spawn_ecallmgr()
    wait_for(switch.subscribed)
    call_id = new_call_id()
    events, park = park_call(switch, call_id)
    wait_for(lambda: names(redis_client, node_settings, call_id) == ["CHANNEL_PARK"])

    first.kill()  # SIGKILL: no exit, no lease release
    wait_for(lambda: not switch.live, what="the switch to see the socket close")
    spawn_ecallmgr()
    wait_for(switch.subscribed, timeout=15, what="the new process (after the lease expired)")
    # the new process knows the call from Redis: its events flow without any command
    wait_for(lambda: switch.commands(b"api show channels as json"))
    switch.send(b"".join(events[park + 1 :]))
    wait_for(lambda: len(names(redis_client, node_settings, call_id)) == 6)
    assert names(redis_client, node_settings, call_id) == ["CHANNEL_PARK", *AFTER_RECONNECT]
