"""How much one emulator process generates: calls/s and events/s. Prints numbers.

Two measurements, each with the ESL client in a separate process (so the emulator's
process does nothing but emulate):

* ``calls``: N calls placed at a target rate; a bare controller (raw socket) answers
  each parked call, plays a tone and hangs up when it completes, as the DESIGN's
  "bare single-process ESL controller". Reports completed calls/s, events fired and
  delivered per second, bytes/s, park-to-first-command latency, and the emulator's CPU.
* ``flood``: ``Emulator.flood`` of M events to a client that reads as fast as it can.

Run: ``python -m kazoo_tasks.esl.emulator.bench --calls 2000 --rate 300 --flood 50000``.
The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import statistics
import time

from kazoo_tasks.esl.emulator import Emulator
from kazoo_tasks.esl.frames import FrameReader

PLAY = "tone_stream://%(2000,0,440)"


def _header(body: bytes, name: bytes) -> bytes:
    start = body.find(b"\n" + name + b": ")
    if start < 0:
        return b""
    start += len(name) + 3
    return body[start : body.find(b"\n", start)]


def controller(port: int, calls: int, ready: multiprocessing.Event) -> None:  # type: ignore[valid-type]
    """Answer, play and hang up every parked call until ``calls`` calls have ended."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(
        b"auth ClueCon\n\nevent plain CHANNEL_PARK CHANNEL_EXECUTE_COMPLETE "
        b"CHANNEL_HANGUP_COMPLETE\n\n"
    )
    reader = FrameReader()
    ended = 0
    subscribed = False
    while ended < calls:
        data = sock.recv(1 << 20)
        if not data:
            break
        out = []
        for frame in reader.feed(data):
            if frame.reply_text.startswith("+OK event listener"):
                subscribed = True
                ready.set()
            if frame.content_type != "text/event-plain":
                continue
            body = frame.body
            name = body[12 : body.find(b"\n")]
            uuid_ = _header(body, b"Unique-ID").decode()
            if name == b"CHANNEL_PARK":
                out.append(f"api uuid_answer {uuid_}\n\n")
                out.append(
                    f"sendmsg {uuid_}\ncall-command: execute\nexecute-app-name: playback\n"
                    f"execute-app-arg: {PLAY}\nevent-lock: true\nEvent-UUID: {uuid_}\n\n"
                )
            elif (
                name == b"CHANNEL_EXECUTE_COMPLETE" and _header(body, b"Application") == b"playback"
            ):
                out.append(
                    f"sendmsg {uuid_}\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n"
                )
            elif name == b"CHANNEL_HANGUP_COMPLETE":
                ended += 1
        if out:
            sock.sendall("".join(out).encode())
    if not subscribed:
        ready.set()
    sock.close()


def flood_reader(port: int, count: int, ready: multiprocessing.Event) -> None:  # type: ignore[valid-type]
    """Read events as fast as possible until ``count`` have arrived."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"auth ClueCon\n\nevent plain ALL\n\n")
    reader = FrameReader()
    seen = 0
    replies = 0
    while seen < count:
        data = sock.recv(1 << 20)
        if not data:
            break
        for frame in reader.feed(data):
            if frame.content_type == "text/event-plain":
                seen += 1
            elif frame.content_type == "command/reply":
                replies += 1
                if replies == 2:
                    ready.set()
    sock.close()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_calls(calls: int, rate: float | None, time_scale: float) -> dict[str, float]:
    with Emulator(time_scale=time_scale) as emu:
        ready = multiprocessing.Event()
        worker = multiprocessing.Process(target=controller, args=(emu.port, calls, ready))
        worker.start()
        ready.wait(10)
        assert emu.switch is not None
        fired_before = emu.switch.stats.events_fired
        cpu_before = time.process_time()
        started = time.perf_counter()
        placed = emu.place_calls(calls, rate=rate).result(timeout=calls)
        placing = time.perf_counter() - started
        last_report = time.perf_counter()
        while worker.is_alive():
            worker.join(0.5)
            if time.perf_counter() - last_report > 2:
                done = sum(1 for c in placed if not c.is_up)
                print(f"  {done}/{calls} calls ended", flush=True)
                last_report = time.perf_counter()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
        fired = emu.switch.stats.events_fired - fired_before
        completed = sum(1 for c in placed if c.hangup_cause == "NORMAL_CLEARING")
        setup_ms = [
            (c.first_command_at - c.park_emitted_at) * 1000
            for c in placed
            if c.first_command_at is not None and c.park_emitted_at is not None
        ]
        delivered = emu.switch.stats.events_serialized
    return {
        "calls": calls,
        "completed": completed,
        "target_rate": rate or 0.0,
        "time_scale": time_scale,
        "seconds": round(elapsed, 3),
        "placed_per_s": round(calls / placing, 1),
        "calls_per_s": round(completed / elapsed, 1),
        "events_fired_per_s": round(fired / elapsed, 1),
        "events_delivered_per_s": round(delivered / elapsed, 1),
        "events_per_call": round(fired / max(completed, 1), 1),
        "setup_ms_p50": round(statistics.median(setup_ms), 2) if setup_ms else 0.0,
        "setup_ms_p99": round(percentile(setup_ms, 0.99), 2),
        "emulator_cpu_s": round(cpu, 2),
        "emulator_cpu_share": round(cpu / elapsed, 2),
    }


def bench_flood(count: int) -> dict[str, float]:
    with Emulator() as emu:
        ready = multiprocessing.Event()
        worker = multiprocessing.Process(target=flood_reader, args=(emu.port, count, ready))
        worker.start()
        ready.wait(10)
        time.sleep(0.2)
        report = emu.flood(count)
        worker.join(60)
    return {
        "flood_events": report.events,
        "flood_seconds": round(report.seconds, 3),
        "flood_events_per_s": round(report.events_per_second, 1),
        "flood_mb_per_s": round(report.bytes / report.seconds / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=300.0, help="calls/s; 0 = unthrottled")
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--flood", type=int, default=50_000, help="events; 0 = skip")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs; emulator pid {os.getpid()}", flush=True)
    result: dict[str, float] = {}
    if args.calls:
        print(f"placing {args.calls} calls at {args.rate or 'max'} calls/s ...", flush=True)
        result.update(bench_calls(args.calls, args.rate or None, args.time_scale))
        print(
            f"calls: {result['completed']}/{args.calls} completed, "
            f"{result['calls_per_s']} calls/s, {result['events_fired_per_s']} events/s fired, "
            f"setup p50 {result['setup_ms_p50']} ms p99 {result['setup_ms_p99']} ms",
            flush=True,
        )
    if args.flood:
        print(f"flooding {args.flood} events ...", flush=True)
        result.update(bench_flood(args.flood))
        print(
            f"flood: {result['flood_events_per_s']} events/s ({result['flood_mb_per_s']} MB/s)",
            flush=True,
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
