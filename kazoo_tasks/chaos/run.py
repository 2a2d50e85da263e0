"""One chaos run: calls through a three-level callflow on the project's own stack, with
private RabbitMQ and Redis servers (so nothing shared is disturbed), while workers are
SIGKILLed every few seconds and the broker, the ESL link and Redis each fail once.

It ends with one JSON line: ``calls``, ``completed``, ``ended_with_cdr``, ``lost`` (no CDR
and no live state), ``stuck`` (still up on the switch), ``duplicate_commands`` (a command
id the switch received twice), ``out_of_order_events`` (events a call applied after one
FreeSWITCH emitted later, read from the CDR traces), ``max_setup_ms``, the faults done,
and the first calls not completed with the commands the switch received for them.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from kazoo_tasks import services
from kazoo_tasks.bench.skeleton import Scratch, StackOptions, setup_seconds, watch_calls
from kazoo_tasks.chaos.faults import FaultLog, Schedule, run_faults
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore, NotFound, account_db
from kazoo_tasks.esl.emulator import Call
from kazoo_tasks.keys import call_key
from kazoo_tasks.progress import say
from kazoo_tasks.testing import Stack
from kazoo_tasks.testing.services import PrivateRabbitMQ, PrivateRedis

NUMBER = "7000"
COMPLETED_CAUSE = "NORMAL_CLEARING"
PROBE_PREFIX = "resync-"
SHOWN = 3
"""Calls not completed whose commands the result line shows (to tell why)."""


@dataclass(frozen=True)
class Options(StackOptions):
    """What to run (``kazoo-tasks chaos --help`` describes each)."""

    workers: int = 2
    time_scale: float = 1.0
    drain_timeout: float = 120.0
    calls: int = 200
    rate: float = 20.0
    play_ms: int = 3000
    esl_cut_for: float = 5.0
    seed: int = 7


def tone(milliseconds: int) -> str:
    return f"tone_stream://%({milliseconds},0,440)"


def _node(module: str, data: dict[str, Any] | None = None, then: Any = None) -> dict[str, Any]:
    return {"module": module, "data": data or {}, "children": {"_": then} if then else {}}


def seed(store: DocumentStore, play_ms: int) -> tuple[str, list[tuple[str, str, str]]]:
    """An account whose number answers, plays, then branches into a second callflow (sleep,
    play, hang up); returns its id and the commands every call must produce, in order."""
    account_id = uuid.uuid4().hex
    db = account_db(account_id)
    store.ensure_db(db)
    second = tone(100)
    inner = store.save(
        db,
        {
            "pvt_type": "callflow",
            "numbers": [],
            "name": "chaos: inner",
            "flow": _node(
                "sleep",
                {"duration": 100, "unit": "ms"},
                _node("play", {"id": second}, _node("hangup")),
            ),
        },
    )
    flow = _node(
        "answer", then=_node("play", {"id": tone(play_ms)}, _node("callflow", {"id": inner["_id"]}))
    )
    store.save(db, {"pvt_type": "callflow", "numbers": [NUMBER], "name": "chaos", "flow": flow})
    expected = [
        ("execute", "answer", ""),
        ("execute", "playback", tone(play_ms)),
        ("execute", "sleep", "100"),
        ("execute", "playback", second),
        ("hangup", "", ""),
    ]
    return account_id, expected


def _own_commands(call: Call) -> list[tuple[str, str, str]]:
    """What the switch received for ``call``, re-sync probes left out."""
    return [
        (c.kind, c.app, c.args)
        for c in call.commands
        if c.kind != "api" and not (c.event_uuid or "").startswith(PROBE_PREFIX)
    ]


def _cdr(store: DocumentStore, account_id: str, call_id: str) -> dict[str, Any] | None:
    try:
        found = store.find(account_db(account_id), {"pvt_type": "cdr", "call_id": call_id})
    except NotFound:
        return None
    return found[0] if found else None


def _out_of_order(cdr: dict[str, Any]) -> int:
    """Events of the trace applied after one with a higher Event-Sequence."""
    count, highest = 0, 0
    for entry in cdr.get("trace") or []:
        seq = entry.get("seq")
        if not seq:
            continue
        if seq < highest:
            count += 1
        highest = max(highest, seq)
    return count


def summarize(
    calls: list[Call],
    expected: list[tuple[str, str, str]],
    cdrs: dict[str, dict[str, Any] | None],
    live_state: set[str],
    faults: FaultLog,
) -> dict[str, Any]:
    """The result line."""
    ids = Counter(c.event_uuid for call in calls for c in call.commands if c.event_uuid)
    setups = setup_seconds(calls)
    completed = [
        c for c in calls if c.hangup_cause == COMPLETED_CAUSE and _own_commands(c) == expected
    ]
    completed_ids = {c.uuid for c in completed}
    with_cdr = [c for c in calls if cdrs.get(c.uuid)]
    stuck = [c for c in calls if c.hungup_at is None]
    lost = [c for c in calls if not cdrs.get(c.uuid) and c.uuid not in live_state]
    causes = Counter(c.hangup_cause or "up" for c in calls)
    return {
        "calls": len(calls),
        "completed": len(completed),
        "ended_with_cdr": len(with_cdr),
        "lost": len(lost),
        "stuck": len(stuck),
        "duplicate_commands": sum(n - 1 for n in ids.values() if n > 1),
        "out_of_order_events": sum(_out_of_order(cdr) for cdr in cdrs.values() if cdr),
        "max_setup_ms": round(max(setups) * 1000, 1) if setups else None,
        "hangup_causes": dict(causes),
        "faults": [f"{at} s: {what}" for at, what in faults.events],
        "fault_errors": faults.errors,
        "not_completed": [
            {"call": c.uuid, "cause": c.hangup_cause, "commands": _own_commands(c)}
            for c in calls
            if c.uuid not in completed_ids
        ][:SHOWN],
    }


def run(base: Settings, options: Options) -> dict[str, Any]:
    """One chaos run; returns the result line."""
    scratch = Scratch("chaos", "chaos", options.keep)
    say(f"chaos: starting private RabbitMQ and Redis in {scratch.dir}")
    broker = PrivateRabbitMQ(scratch.dir / "rabbitmq").start()
    redis = PrivateRedis(scratch.dir / "redis", appendonly=True).start()
    settings = scratch.settings(
        base,
        data_dir=scratch.dir / "data",
        broker_url=broker.url,
        redis_url=redis.url,
        result_backend=redis.url,
        esl_reconnect_max_delay=1.0,
    )
    store = services.document_store(settings)
    stack = Stack(
        settings,
        scratch.dir / "logs",
        workers=options.workers,
        concurrency=options.worker_concurrency,
        time_scale=options.time_scale,
    )
    try:
        account_id, expected = seed(store, options.play_ms)
        stack.start()
        say(f"chaos: stack up; {options.calls} calls at {options.rate}/s")
        calls: list[Call] = []
        placing = stack.emulator.place_calls(
            options.calls,
            rate=options.rate,
            destination=NUMBER,
            variables={"ecallmgr_Account-ID": account_id},
            on_placed=calls.append,
        )
        started = time.monotonic()
        schedule = Schedule.over(options.calls / options.rate, options.esl_cut_for)
        stop = threading.Event()
        outcome: dict[str, FaultLog] = {}
        inflicting = threading.Thread(
            target=lambda: outcome.update(
                log=run_faults(stack, broker, redis, schedule, started, stop, options.seed)
            ),
            daemon=True,
        )
        inflicting.start()

        def placed_and_faults_done() -> bool:
            return placing.done() and not inflicting.is_alive()

        watch_calls(calls, options.calls, "chaos", placed_and_faults_done, options.drain_timeout)
        placing.result()
        cdrs = _collect_cdrs(store, account_id, calls)
        client = services.redis_client(settings)
        live = {
            c.uuid for c in calls if client.exists(call_key(settings.namespace, c.uuid, "state"))
        }
        return summarize(calls, expected, cdrs, live, outcome.get("log", FaultLog()))
    finally:
        say("chaos: stopping everything")
        stack.stop()
        store.close()
        try:
            scratch.drop_namespace()
        finally:
            broker.stop()
            redis.stop()
            scratch.remove()


def _collect_cdrs(
    store: DocumentStore, account_id: str, calls: list[Call], timeout: float = 60.0
) -> dict[str, dict[str, Any] | None]:
    """The CDR of each call, waiting a while for the late ones (ended calls only)."""
    cdrs: dict[str, dict[str, Any] | None] = {}
    deadline = time.monotonic() + timeout
    while True:
        for call in calls:
            if cdrs.get(call.uuid) is None:
                cdrs[call.uuid] = _cdr(store, account_id, call.uuid)
        missing = [c for c in calls if cdrs[c.uuid] is None and c.hungup_at is not None]
        if not missing or time.monotonic() > deadline:
            return cdrs
        time.sleep(0.5)
