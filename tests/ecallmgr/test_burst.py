"""A burst of 50,000 real events (mostly unneeded): the reader keeps reading, only the
needed events of controlled calls are published, and whatever is lost is counted.

The figures (largest reader gap, loss, throughput) are written to
test-output/ecallmgr-burst-*.json; the benchmark script prints the same for any size.
"""

from __future__ import annotations

import json
from pathlib import Path

from kazoo_tasks.inbox import inbox_key
from tests.ecallmgr.burst import Burst
from tests.ecallmgr.conftest import REPO, inbox, node_stats
from tests.ecallmgr.transcripts import CALL_AFTER_PARK
from tests.waiting import wait_for

BURST_EVENTS = 50_000


def run_burst(switch, client, settings, burst: Burst) -> dict[str, float]:
    """Stream ``burst`` to the subscribed ecallmgr; wait until it is read and published."""
    wait_for(switch.subscribed)
    written, seconds = switch.send_stream(burst.chunks()).result(timeout=600)

    def settled():
        stats = node_stats(client, settings)
        done = (
            stats.get("reader.events") == burst.total
            and stats.get("publish.events") == stats.get("events.queued")
            and stats.get("handoff.depth", 0) == 0
        )
        return done and stats

    stats = wait_for(settled, timeout=300, what="the burst to be read and published")
    return {
        "events": burst.total,
        "bytes": written,
        "switch_write_s": round(seconds, 3),
        "reader_events_per_s": round(burst.total / seconds),
        "reader_max_gap_ms": stats["reader.max_gap_ms"],
        "reader_max_gap_cpu_ms": stats["reader.max_gap_cpu_ms"],
        "needed": burst.needed,
        "published": stats["publish.events"],
        "dropped": stats.get("handoff.dropped", 0),
        "handoff_high_water": stats.get("handoff.high_water", 0),
        "unneeded": stats.get("events.unneeded", 0),
        "uncontrolled": stats.get("events.uncontrolled", 0),
    }


def report(name: str, figures: dict[str, float]) -> None:
    out = REPO / "test-output"
    out.mkdir(exist_ok=True)
    Path(out / f"ecallmgr-burst-{name}.json").write_text(json.dumps(figures) + "\n")
    print(f"burst {name}: {json.dumps(figures)}")


def inbox_keys(client, settings) -> set[str]:
    return set(client.scan_iter(f"{settings.namespace}:call:*:inbox", count=1000))


def test_given_a_burst_of_50000_events_then_exactly_the_needed_events_of_controlled_calls_arrive(
    switch, spawn_ecallmgr, node_settings, redis_client
):
    spawn_ecallmgr()
    burst = Burst(BURST_EVENTS)
    figures = run_burst(switch, redis_client, node_settings, burst)
    report("default-buffer", figures)

    assert figures["dropped"] == 0  # 5,262 needed events fit the default 10,000 hand-off
    assert figures["published"] == burst.needed
    expected_keys = {inbox_key(node_settings, c) for c in burst.controlled}
    assert inbox_keys(redis_client, node_settings) == expected_keys
    for call_id in burst.controlled:
        assert [e["name"] for e in inbox(redis_client, node_settings, call_id)] == CALL_AFTER_PARK


def test_given_a_burst_through_a_tiny_hand_off_then_the_reader_reads_on_and_counts_the_loss(
    switch, spawn_ecallmgr, node_settings, redis_client
):
    ecallmgr = spawn_ecallmgr(esl_event_buffer=64)
    burst = Burst(BURST_EVENTS // 5)
    figures = run_burst(switch, redis_client, node_settings, burst)
    report("tiny-buffer", figures)

    assert figures["dropped"] > 0
    assert "hand-off full (64 events)" in ecallmgr.log()
    published = 0
    for call_id in burst.calls:
        names = [e["name"] for e in inbox(redis_client, node_settings, call_id)]
        published += len(names)
        if call_id in burst.uncontrolled or not names:
            assert names == [], call_id  # never parked, or its park was dropped: not ours
            continue
        assert names[0] == "CHANNEL_PARK"
        remaining = iter(CALL_AFTER_PARK)  # what arrived is an ordered subsequence
        assert all(name in remaining for name in names), names
    assert published == figures["published"]
