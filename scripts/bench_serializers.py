"""CPU per message of each serializer on what the call path carries (issue: JSON or msgpack?).

Two kinds of data cross a process boundary on every call:

* **events** (~5 KB each: FreeSWITCH's whole header set) go from ecallmgr to the workers
  through the call's Redis inbox; here: every channel event of a real FreeSWITCH bridge
  transcript (``../shared/fixtures/freeswitch/bridge.plain.txt``, or ``--fixture``),
  decoded as ecallmgr decodes it, then written and read with ``json``, orjson (what
  ``kazoo_tasks.compact_json`` uses) and msgpack;
* **broker messages** (a ``handle_events`` task body, a command: ~100-200 bytes) go
  through kombu's serializer registry, ``json`` against ``msgpack``.

msgpack is not a dependency of kazoo-tasks: ``pip install msgpack`` to include it (the
script says so and measures the rest without it).

Usage: ``.venv/bin/python scripts/bench_serializers.py [--rounds 2000]``; prints one JSON
line per measurement (CPU microseconds per message, bytes per message).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson
from kombu import serialization

from kazoo_tasks.esl.frames import FrameReader, parse_event_plain
from kazoo_tasks.events import call_event_from_plain

FIXTURE = Path(__file__).resolve().parents[1] / "../shared/fixtures/freeswitch/bridge.plain.txt"
CALL_ID = "6c2b6a1e-0f3c-4b7e-9a55-3d1f2c0e8b71"
BROKER_MESSAGES = {
    "task": [[CALL_ID], {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}],
    "command": {
        "id": "0d5c3e0e-8d7a-4a51-9c1e-6a3f0b2d9e11",
        "call_id": CALL_ID,
        "node": "freeswitch@fs1",
        "kind": "execute",
        "app": "playback",
        "args": "tone_stream://%(2000,0,440)",
        "event_lock": False,
    },
}


def channel_events(fixture: Path) -> list[dict[str, Any]]:
    """The call events of a recorded ESL transcript, as ecallmgr builds them."""
    frames = FrameReader().feed(fixture.read_bytes())
    return [
        dict(call_event_from_plain(parse_event_plain(f.body), node="fs1", received_at=1.0))
        for f in frames
        if f.content_type == "text/event-plain"
    ]


def cpu_us(action: Callable[[Any], Any], items: Sequence[Any], rounds: int) -> float:
    """CPU microseconds per item of ``action`` over ``rounds`` passes."""
    started = time.process_time()
    for _ in range(rounds):
        for item in items:
            action(item)
    return round((time.process_time() - started) / rounds / len(items) * 1e6, 2)


def event_codecs() -> dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]]:
    """Name -> (write, read) for the events; msgpack when it is installed."""
    codecs: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
        "json": (lambda e: json.dumps(e, separators=(",", ":")), json.loads),
        "orjson": (orjson.dumps, orjson.loads),
    }
    try:
        import msgpack
    except ImportError:
        print(json.dumps({"msgpack": "not installed: pip install msgpack to measure it"}))
    else:
        codecs["msgpack"] = (msgpack.packb, msgpack.unpackb)
    return codecs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--fixture", type=Path, default=FIXTURE)
    options = parser.parse_args()
    events = channel_events(options.fixture)
    codecs = event_codecs()
    for name, (write, read) in codecs.items():
        blobs = [write(e) for e in events]
        print(
            json.dumps(
                {
                    "data": "event",
                    "events": len(events),
                    "codec": name,
                    "write_us": cpu_us(write, events, options.rounds),
                    "read_us": cpu_us(read, blobs, options.rounds),
                    "bytes": sum(map(len, blobs)) // len(blobs),
                }
            )
        )
    serializers = ["json"] + (["msgpack"] if "msgpack" in codecs else [])
    for kind, body in BROKER_MESSAGES.items():
        for serializer in serializers:
            print(json.dumps(broker_message(kind, body, serializer, options.rounds * 10)))


def broker_message(kind: str, body: Any, serializer: str, rounds: int) -> dict[str, Any]:
    """One broker message's write and read through kombu's serializer registry."""
    content_type, encoding, payload = serialization.dumps(body, serializer=serializer)
    accept = {content_type}
    return {
        "data": kind,
        "codec": f"kombu {serializer}",
        "write_us": cpu_us(lambda b: serialization.dumps(b, serializer=serializer), [body], rounds),
        "read_us": cpu_us(
            lambda p: serialization.loads(p, content_type, encoding, accept=accept),
            [payload],
            rounds,
        ),
        "bytes": len(payload),
    }


if __name__ == "__main__":
    main()
