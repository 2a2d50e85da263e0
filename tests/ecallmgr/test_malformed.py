"""Bytes a switch should never send: logged, survived where the stream can be trusted,
reconnected where it cannot."""

from __future__ import annotations

import pytest

from tests.ecallmgr.conftest import (
    after_resync,
    confirmed,
    inbox,
    new_call_id,
    node_stats,
    park_call,
    resynced,
)
from tests.ecallmgr.transcripts import call_events
from tests.waiting import wait_for

EVENT_WITHOUT_NAME = b"Core-UUID: 3769e155-1\nX: y\n\n"
GARBAGE_HEADER_LINE = (
    b"Content-Type: text/event-plain\nthis line has no colon\n"
    + f"Content-Length: {len(EVENT_WITHOUT_NAME)}\n\n".encode()
)
UNKNOWN_FRAME = b"Content-Type: log/data\nContent-Length: 5\n\nhello"
ORPHAN_REPLY = b"Content-Type: command/reply\nReply-Text: +OK nobody asked\n\n"


def test_given_malformed_lines_odd_frames_and_orphan_replies_then_the_connection_survives(
    switch, spawn_ecallmgr, node_settings, redis_client
):
    ecallmgr = spawn_ecallmgr()
    conn = wait_for(switch.subscribed)[0]
    # ESL replies carry no id: a reply sent while a re-sync listing waits is its reply
    wait_for(lambda: confirmed(conn), what="the re-sync's listings answered")
    switch.send(GARBAGE_HEADER_LINE + EVENT_WITHOUT_NAME + UNKNOWN_FRAME + ORPHAN_REPLY)
    call_id = new_call_id()
    switch.send(b"".join(call_events(call_id)))

    wait_for(lambda: len(inbox(redis_client, node_settings, call_id)) == 6, what="the call")
    stats = wait_for(
        lambda: (s := node_stats(redis_client, node_settings)).get("publish.events") == 6 and s
    )
    assert stats["events.malformed"] == 1
    assert stats["esl.unexpected_frames"] == 1
    assert stats["esl.orphan_replies"] == 1
    assert stats["esl.connects"] == 1 and switch.live == [conn]
    log = ecallmgr.log()
    assert "skipping malformed ESL header line: 'this line has no colon'" in log
    assert "event without Event-Name dropped" in log
    assert "unexpected frame ignored" in log
    assert "reply with no command waiting" in log


@pytest.mark.parametrize(
    ("garbage", "reason"),
    [
        (b"X-Big: " + b"a" * (1024 * 1024) + b"\n\n", "header block over 65536 bytes"),
        (b"Content-Type: text/event-plain\nContent-Length: 12abc\n\n", "bad Content-Length"),
    ],
    ids=["1MB-header-block", "bad-content-length"],
)
def test_given_a_stream_that_cannot_be_framed_then_ecallmgr_reconnects_and_resubscribes(
    switch, spawn_ecallmgr, node_settings, redis_client, garbage, reason
):
    ecallmgr = spawn_ecallmgr()
    first = wait_for(switch.subscribed)[0]
    parked = new_call_id()
    events, park = park_call(switch, parked)
    wait_for(lambda: inbox(redis_client, node_settings, parked), what="the park")

    switch.send(garbage)
    second = wait_for(
        lambda: [c for c in switch.subscribed() if c is not first], what="a new subscription"
    )[0]
    assert first.closed
    wait_for(lambda: resynced(second), what="the re-sync")
    assert after_resync(second) == b""
    switch.send(b"".join(events[park + 1 :]))
    wait_for(lambda: len(inbox(redis_client, node_settings, parked)) == 6, what="the call")
    assert f"unframeable bytes from FreeSWITCH ({reason}" in ecallmgr.log()
    wait_for(lambda: node_stats(redis_client, node_settings).get("esl.frame_errors") == 1)
