"""The faults of a chaos run, on a schedule: worker processes SIGKILLed every few seconds,
the RabbitMQ node killed and restarted once, the ESL link cut once, Redis killed and
restarted once (from its AOF, as ops run it)."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from kazoo_tasks.testing import Stack
from kazoo_tasks.testing.services import PrivateRabbitMQ, PrivateRedis


@dataclass
class FaultLog:
    """What was done, and when it began (seconds after the first call)."""

    events: list[tuple[float, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def note(self, at: float, what: str) -> None:
        self.events.append((round(at, 2), what))


@dataclass(frozen=True)
class Schedule:
    """When each fault happens, in seconds after the first call is placed."""

    esl_cut_at: float
    esl_cut_for: float
    broker_at: float
    redis_at: float
    worker_every: float
    until: float

    @classmethod
    def over(cls, seconds: float, esl_cut_for: float = 5.0) -> Schedule:
        """Spread the faults over a run of ``seconds`` (the calls' placing time)."""
        span = max(seconds, 6.0)
        return cls(
            esl_cut_at=0.15 * span,
            esl_cut_for=esl_cut_for,
            broker_at=0.45 * span,
            redis_at=0.7 * span,
            worker_every=max(span / 5, 2.0),
            until=span,
        )


def _kill_a_worker(stack: Stack, rng: random.Random) -> str:
    alive = [w for w in stack.workers if w.alive()]
    children = [pid for w in alive for pid in w.children()]
    if not children:
        return "no worker child to kill"
    victim = rng.choice(children)
    os.kill(victim, signal.SIGKILL)
    return f"SIGKILL worker child {victim}"


def run_faults(
    stack: Stack,
    broker: PrivateRabbitMQ,
    redis: PrivateRedis,
    schedule: Schedule,
    started: float,
    stop: threading.Event,
    seed: int = 7,
) -> FaultLog:
    """Inflict the schedule's faults (blocks until ``schedule.until`` or ``stop``)."""
    rng = random.Random(seed)
    log = FaultLog()
    plan: list[tuple[float, str, Callable[[], object]]] = [
        (
            schedule.esl_cut_at,
            f"ESL cut for {schedule.esl_cut_for:g} s",
            lambda: _cut(stack, schedule),
        ),
        (schedule.broker_at, "RabbitMQ kill -9 and restart", broker.restart),
        (schedule.redis_at, "Redis kill -9 and restart (AOF)", redis.restart),
    ]
    at = schedule.worker_every
    while at < schedule.until:
        plan.append((at, "worker", lambda: _kill_a_worker(stack, rng)))
        at += schedule.worker_every
    for when, what, action in sorted(plan, key=lambda p: p[0]):
        delay = started + when - time.monotonic()
        if delay > 0 and stop.wait(delay):
            break
        begun = time.monotonic() - started
        try:
            result = action()
        except Exception as exc:  # noqa: BLE001 - a failed fault is reported, not fatal
            log.errors.append(f"{what}: {exc!r}")
            continue
        log.note(begun, result if isinstance(result, str) else what)
    return log


def _cut(stack: Stack, schedule: Schedule) -> None:
    threading.Thread(
        target=stack.emulator.cut_connections,
        kwargs={"refuse_for": schedule.esl_cut_for},
        daemon=True,
    ).start()
