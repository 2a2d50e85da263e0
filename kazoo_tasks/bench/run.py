"""One benchmark run: a fresh namespace and data directory, the real stack around the
emulator, Celery's floor, warm-up calls, the measured calls, then a clean slate."""

from __future__ import annotations

import gc
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kazoo_tasks import services
from kazoo_tasks.bench import floor, scenario
from kazoo_tasks.bench.dashboard import MetricsRecorder
from kazoo_tasks.bench.metrics import (
    cpu_seconds,
    listening_pids,
    ms,
    own_cpu_ratio,
    own_cpu_seconds,
    percentile,
    service_label,
    stage_breakdown,
)
from kazoo_tasks.bench.plot import dashboard_png, setup_latency_png
from kazoo_tasks.bench.skeleton import Scratch, StackOptions, place_and_wait, setup_seconds
from kazoo_tasks.bench.task_counts import task_counts, tasks_per_call
from kazoo_tasks.celery_app import make_app
from kazoo_tasks.config import Settings
from kazoo_tasks.esl.emulator import Call
from kazoo_tasks.progress import say
from kazoo_tasks.stages import read_stages
from kazoo_tasks.testing import Stack
from kazoo_tasks.testing.services import free_port

WARM_UP_RATE = 20.0
METRICS_SETTLE = 1.5
"""Seconds the recorder keeps scraping after the last call (ecallmgr moves its counters
into the metrics once a second)."""
TASKS_SETTLE = 0.5
"""Seconds after the last hang-up before the task counters are read (the CDRs of the
last calls are written after it)."""


@dataclass(frozen=True)
class Options(StackOptions):
    """What to run (``kazoo-tasks bench --help`` describes each)."""

    calls: int = 1000
    rate: float = 150.0
    concurrency: int = 200
    pool: str = "prefork"
    play_ms: int = 2000
    warm_up: int = 20
    floor_samples: int = 200
    stages: bool = False
    plot: Path | None = None
    metrics_plot: Path | None = None
    hooks_url: str | None = None


def _is_completed(call: Call) -> bool:
    commands = [(c.kind, c.app) for c in call.commands]
    return scenario.completed(commands, call.hangup_cause)


def _metrics_ports() -> dict[str, int]:
    """A free ``/metrics`` port for each role the bench runs."""
    return {f"{role}_metrics_port": free_port() for role in ("ecallmgr", "worker", "changes")}


def _metrics_urls(settings: Settings, ports: dict[str, int]) -> list[str]:
    return [f"http://{settings.metrics_host}:{port}/metrics" for port in ports.values()]


def _process_pids(stack: Stack) -> dict[str, list[int]]:
    workers = [pid for w in stack.workers for pid in (w.pid, *w.children())]
    return {
        "ecallmgr": [stack.ecallmgr.pid] if stack.ecallmgr else [],
        "workers": workers,
        "changes": [stack.changes.pid] if stack.changes else [],
        **_service_pids(stack.settings),
    }


def _service_pids(settings: Settings) -> dict[str, list[int]]:
    """The broker's and Redis's processes when they listen on this machine (TCP); for a
    broker failover list (a local cluster), every node's."""
    found: dict[str, list[int]] = {}
    for role, urls in (
        ("broker", services.broker_url(settings)),
        ("redis", services.redis_url(settings)),
    ):
        for url in urls.split(";"):
            parts = urlsplit(url)
            if parts.hostname in ("127.0.0.1", "localhost", "::1") and parts.port:
                found.setdefault(role, []).extend(listening_pids(parts.port))
    return found


def _cpu(stack: Stack) -> dict[str, float]:
    return {
        "emulator": own_cpu_seconds(),
        **{role: cpu_seconds(pids) for role, pids in _process_pids(stack).items()},
    }


def summarize(
    options: Options, settings: Settings, calls: list[Call], floor_samples: list[float],
    cpu_used: dict[str, float], loadavg: tuple[float, float],
) -> dict[str, Any]:  # fmt: skip
    """The result line."""
    completed = [c for c in calls if _is_completed(c)]
    setups = setup_seconds(calls)
    started = min((c.created_at for c in calls), default=0.0)
    finished = max((c.hungup_at for c in completed if c.hungup_at), default=started)
    wall = finished - started
    floor_ms = ms(percentile(floor_samples, 50))
    setup_p50 = ms(percentile(setups, 50))
    return {
        "calls": options.calls,
        "completed": len(completed),
        "failed": options.calls - len(completed),
        "setup_ms_p50": setup_p50,
        "setup_ms_p90": ms(percentile(setups, 90)),
        "setup_ms_p99": ms(percentile(setups, 99)),
        "setup_ms_max": ms(max(setups, default=None)),
        "calls_per_s": round(len(completed) / wall, 1) if wall > 0 else 0.0,
        "floor_ms": floor_ms,
        "floor_ms_p99": ms(percentile(floor_samples, 99)),
        "ratio_p50": round(setup_p50 / floor_ms, 2) if setup_p50 and floor_ms else None,
        "rate_asked": options.rate,
        "concurrency": options.concurrency,
        "wall_s": round(wall, 2),
        "broker": ";".join(map(service_label, services.broker_url(settings).split(";"))),
        "redis": service_label(services.redis_url(settings)),
        "documents": "couchdb" if settings.couchdb_url else "embedded",
        "workers": options.workers,
        "worker_concurrency": options.worker_concurrency,
        "pool": options.pool,
        "time_scale": options.time_scale,
        "play_ms": options.play_ms,
        "hooks": list(scenario.HOOKS) if options.hooks_url else [],
        "cpu_pct": {k: round(v / wall * 100, 1) if wall > 0 else None for k, v in cpu_used.items()},
        "cpu_ms_per_call": {
            k: round(v * 1000 / len(completed), 2) if completed else None
            for k, v in cpu_used.items()
        },
        "own_cpu_ratio": own_cpu_ratio(cpu_used),
        "cpus": os.cpu_count(),
        "loadavg_before": loadavg[0],
        "loadavg_after": loadavg[1],
    }


def run(base: Settings, options: Options) -> dict[str, Any]:
    """Run the benchmark with the services of ``base``; returns the result line."""
    scratch = Scratch("bench", "bench", options.keep)
    stage_dir = scratch.dir / "stages" if options.stages else None
    ports = _metrics_ports() if options.metrics_plot else {}
    if options.workers == 1:  # its task counters (several workers cannot share a port)
        ports.setdefault("worker_metrics_port", free_port())
    settings = scratch.settings(base, stage_log_dir=stage_dir, **ports)
    worker_metrics = f"http://127.0.0.1:{ports['worker_metrics_port']}/metrics" if ports else ""
    say(f"bench: namespace {settings.namespace}, data and logs in {scratch.dir}")
    store = services.document_store(settings)
    target = scenario.seed(store, options.play_ms)
    if options.hooks_url:
        scenario.seed_hooks(store, target, options.hooks_url)
    stack = Stack(
        settings,
        scratch.dir / "logs",
        workers=options.workers,
        concurrency=options.worker_concurrency,
        worker_args=("--pool", options.pool),
        time_scale=options.time_scale,
        changes=True,
        webhook_workers=1 if options.hooks_url else 0,
    )
    placing = {
        "destination": scenario.NUMBER,
        "variables": target.channel_variables,
        "concurrency": options.concurrency,
        "timeout": options.drain_timeout,
    }
    recorder: MetricsRecorder | None = None
    try:
        stack.start()
        app = make_app(settings, name="bench")
        say(f"bench: stack up; measuring the Celery floor ({options.floor_samples} pings)")
        floor_samples = floor.round_trips(app, options.floor_samples)
        if ports:
            recorder = MetricsRecorder(_metrics_urls(settings, ports)).start()
        gc.freeze()  # the emulator runs in this process: no full collection of start-up
        # objects in the middle of the calls (a real switch has no garbage collector)
        if options.warm_up:
            place_and_wait(stack, options.warm_up, rate=WARM_UP_RATE, label="warm-up", **placing)
        load_before = os.getloadavg()[0]
        cpu_before = _cpu(stack)
        tasks_before = task_counts(worker_metrics) if worker_metrics else None
        calls = place_and_wait(stack, options.calls, rate=options.rate, label="calls", **placing)
        cpu_after = _cpu(stack)
        time.sleep(TASKS_SETTLE)  # the last calls' CDR tasks
        tasks_after = task_counts(worker_metrics) if worker_metrics else None
        result = summarize(
            options,
            settings,
            calls,
            floor_samples,
            {k: cpu_after[k] - cpu_before[k] for k in cpu_before},
            (load_before, os.getloadavg()[0]),
        )
        result.update(tasks_per_call(tasks_before, tasks_after, len(calls)))
        if stage_dir is not None:
            result["stages_ms"] = _stages(stage_dir, calls)
        if recorder is not None and options.metrics_plot is not None:
            time.sleep(METRICS_SETTLE)
            title = f"bench: {options.calls} calls, {options.rate:g}/s asked (+ warm-up)"
            dashboard_png(recorder.stop(), options.metrics_plot, title)
            say(f"bench: dashboard panels plotted in {options.metrics_plot}")
        if options.plot is not None:
            title = (
                f"{result['completed']} calls, {options.rate:g}/s asked, workers: {options.workers}"
            )
            setup_latency_png(setup_seconds(calls), options.plot, title)
            say(f"bench: setup latency plotted in {options.plot}")
        return result
    finally:
        if recorder is not None:
            recorder.stop()
        say("bench: stopping the stack and removing what the run left")
        stack.stop()
        try:
            scenario.remove(store, target)
        finally:
            store.close()
            scratch.close()


def _stages(stage_dir: Path, calls: list[Call]) -> dict[str, dict[str, float | None]]:
    stamps = read_stages(stage_dir) if stage_dir.exists() else {}
    timelines = []
    for call in calls:
        timeline = dict(stamps.get(call.uuid, {}))
        if call.park_emitted_at is not None:
            timeline["park"] = call.park_emitted_at
        if call.first_command_at is not None:
            timeline["command"] = call.first_command_at
        timelines.append(timeline)
    return stage_breakdown(timelines)
