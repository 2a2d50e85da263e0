"""Benchmark ecallmgr's ESL reader under a burst of real events.

Starts the transcript switch of the tests and a real ``kazoo-tasks ecallmgr`` process
(against RabbitMQ + Redis, in a namespace of its own), streams N recorded events (mostly
unneeded: 6 of the 43 events of each parked call are needed, and one call in four never
parks) as fast as ecallmgr reads them, and prints progress on stderr, then one JSON line:
events/s through the reader, the largest reader gap (wall clock, and the CPU time this
process spent in it), what was published and what was dropped.

    .venv/bin/python scripts/bench_ecallmgr.py --events 50000
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kazoo_tasks.config import FreeswitchNode, Settings  # noqa: E402
from kazoo_tasks.testing import drop_namespace  # noqa: E402
from kazoo_tasks.testing.processes import role_env  # noqa: E402
from tests.conftest import TEST_BROKER_URL, TEST_REDIS_URL  # noqa: E402
from tests.ecallmgr.burst import Burst  # noqa: E402
from tests.ecallmgr.conftest import NODE, node_stats  # noqa: E402
from tests.ecallmgr.fs_peer import TranscriptSwitch  # noqa: E402
from tests.waiting import wait_for  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=50_000, help="events in the burst")
    parser.add_argument("--buffer", type=int, default=Settings().esl_event_buffer)
    args = parser.parse_args()

    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    switch = TranscriptSwitch().start()
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            namespace=f"bench{uuid.uuid4().hex[:8]}",
            data_dir=Path(data_dir),
            broker_url=TEST_BROKER_URL,
            redis_url=TEST_REDIS_URL,
            result_backend=TEST_REDIS_URL,
            freeswitch_nodes=(FreeswitchNode(NODE, "127.0.0.1", switch.port, "ClueCon"),),
            esl_event_buffer=args.buffer,
        )
        log = open(Path(data_dir) / "ecallmgr.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-c", "from kazoo_tasks.cli import main; main()", "ecallmgr"],
            cwd=REPO,
            env=role_env(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            print(json.dumps(run(switch, client, settings, Burst(args.events))))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
            switch.stop()
            drop_namespace(settings)


def run(switch: TranscriptSwitch, client, settings: Settings, burst: Burst) -> dict:
    wait_for(switch.subscribed, timeout=30, what="ecallmgr to subscribe")
    time.sleep(1.5)  # let the start-up settle (first stats flush)
    print(
        f"streaming {burst.total} events of {len(burst.calls)} calls "
        f"({len(burst.controlled)} parked, {burst.needed} needed events)",
        file=sys.stderr,
    )
    started = time.time()
    written, write_s = switch.send_stream(burst.chunks()).result(timeout=900)
    print(f"switch wrote {written / 1e6:.0f} MB in {write_s:.2f} s", file=sys.stderr)
    while True:
        stats = node_stats(client, settings)
        shown = ("reader.events", "events.queued", "publish.events", "handoff.dropped")
        print("  " + "  ".join(f"{k} {stats.get(k, 0):.0f}" for k in shown), file=sys.stderr)
        if (
            stats.get("reader.events") == burst.total
            and stats.get("publish.events") == stats.get("events.queued")
            and not stats.get("handoff.depth")
        ):
            break
        time.sleep(0.5)
    settled_s = stats["publish.last_at"] - started
    return {
        "events": burst.total,
        "bytes": written,
        "reader_events_per_s": round(burst.total / write_s),
        "reader_mb_per_s": round(written / write_s / 1e6, 1),
        "reader_max_gap_ms": stats["reader.max_gap_ms"],
        "reader_max_gap_cpu_ms": stats["reader.max_gap_cpu_ms"],
        "needed": burst.needed,
        "published": int(stats["publish.events"]),
        "dropped": int(stats.get("handoff.dropped", 0)),
        "handoff_capacity": settings.esl_event_buffer,
        "handoff_high_water": int(stats.get("handoff.high_water", 0)),
        "published_within_s": round(settled_s, 1),
        "published_per_s": round(stats["publish.events"] / settled_s),
    }


if __name__ == "__main__":
    main()
