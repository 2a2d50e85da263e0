"""Call timers, two designs measured side by side on private RabbitMQ and Redis servers.

* ``celery_eta``: each timer is a Celery task sent with an ETA (``countdown``); a worker
  holds it, unacked, until it is due, then runs it.
* ``redis_wheel``: each timer is a member of the Redis sorted set ``<ns>:timers``
  (``kazoo_tasks.timers``), drained by every worker every ``KAZOO_TIMER_INTERVAL``.

Both deliver a due timer the same way (``TimerDrainer.deliver``: a ``TIMER_FIRED`` appended
to the call's inbox and a ``handle_events`` task sent); lateness is read from the inbox
entry's stream id (Redis's clock, ms) minus the time the timer was due. Scenarios:

* ``accuracy``: N timers due 2-6 s ahead, 2 worker processes: lateness p50/p99/max, CPU
  per timer (arming side, workers, Redis, RabbitMQ; the workers' idle CPU subtracted);
* ``armed``: 10,000 timers armed 25 s ahead: arming rate, workers' RSS and CPU while
  they wait, then the burst when all fall due within one second;
* ``kill``: 500 timers, one of the two workers SIGKILLed 1-3 s before they are due;
* ``broker_restart``: 500 timers, RabbitMQ stopped and started again while they fall due;
* ``consumer_timeout``: RabbitMQ's ``consumer_timeout`` at 5 s, timers due 15 s ahead.

Usage: ``.venv/bin/python scripts/bench_timers.py [--timers 2000] [--armed 10000]
[--only accuracy,armed,kill,broker_restart,consumer_timeout] [--designs celery_eta,redis_wheel]``
(needs ``rabbitmq-server`` and ``redis-server`` installed; run as root or as a user that
may start them). One JSON line per scenario and design; docs/architecture.md quotes them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import redis  # noqa: E402

from kazoo_tasks.celery_app import make_app  # noqa: E402
from kazoo_tasks.config import Settings  # noqa: E402
from kazoo_tasks.inbox import inbox_key  # noqa: E402
from kazoo_tasks.timers import (  # noqa: E402
    ArmedTimer,
    TimerDrainer,
    TimerDrainStep,
    TimerWheel,
    timer_id,
)

ETA_TASK = "bench.timer_eta"
DESIGNS = ("celery_eta", "redis_wheel")
SCENARIOS = ("accuracy", "armed", "kill", "broker_restart", "consumer_timeout")
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on {port} after {timeout}s")


# -- CPU and memory from /proc ---------------------------------------------------------


def _stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def tree(pid: int) -> list[int]:
    found = [pid]
    for child in children(pid):
        found += tree(child)
    return found


def cpu_seconds(pids: list[int]) -> float:
    """CPU time of processes (and of their reaped children)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            fields = _stat(pid)
            total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return total / TICK


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return round(total / 1024, 1)


# -- private servers ---------------------------------------------------------------------


class PrivateRedis:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(workdir)],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_port(self.port, 10)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.client = redis.Redis.from_url(self.url, decode_responses=True)

    def cpu(self) -> float:
        info = self.client.info("cpu")
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])

    def stop(self) -> None:
        self.client.close()
        self.proc.terminate()
        self.proc.wait(10)


class PrivateRabbit:
    """A RabbitMQ node of its own (port, Erlang distribution port, data and log dirs)."""

    def __init__(self, workdir: Path, consumer_timeout_ms: int | None = None) -> None:
        self.dir = workdir
        self.node = f"bench{uuid.uuid4().hex[:8]}@localhost"
        self.port = free_port()
        dist_port = free_port()
        for sub in ("mnesia", "log"):
            (workdir / sub).mkdir(parents=True, exist_ok=True)
        (workdir / "enabled_plugins").write_text("[].\n")
        conf = [f"listeners.tcp.default = 127.0.0.1:{self.port}", "loopback_users = none"]
        advanced = "[]."
        if consumer_timeout_ms:
            conf.append(f"consumer_timeout = {consumer_timeout_ms}")
            advanced = "[{rabbit, [{channel_tick_interval, 1000}]}]."
        (workdir / "rabbitmq.conf").write_text("\n".join(conf) + "\n")
        (workdir / "advanced.config").write_text(advanced + "\n")
        if os.geteuid() == 0:  # the server drops to the rabbitmq user
            user = pwd.getpwnam("rabbitmq")
            for path in [workdir, *workdir.rglob("*")]:
                os.chown(path, user.pw_uid, user.pw_gid)
        self.env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(dist_port),
            "RABBITMQ_MNESIA_BASE": str(workdir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(workdir / "log"),
            "RABBITMQ_CONFIG_FILE": str(workdir / "rabbitmq"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(workdir / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(workdir / "enabled_plugins"),
        }
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}//"
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> float:
        started = time.monotonic()
        with (self.dir / "server.out").open("ab") as out:
            self.proc = subprocess.Popen(
                ["rabbitmq-server"], env=self.env, stdout=out, stderr=out, start_new_session=True
            )
        wait_port(self.port, 60)
        self._ctl("await_startup")
        return time.monotonic() - started

    def stop(self) -> None:
        self._ctl("stop")
        if self.proc is not None:
            self.proc.wait(30)

    def _ctl(self, *args: str) -> str:
        return subprocess.run(
            ["rabbitmqctl", "-q", "-n", self.node, *args],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout

    def queue(self, name: str) -> dict[str, int]:
        """Messages of queue ``name`` ready for a consumer, and delivered but unacked."""
        for line in self._ctl(
            "list_queues", "name", "messages_ready", "messages_unacknowledged"
        ).splitlines():
            parts = line.split()
            if parts and parts[0] == name:
                return {"ready": int(parts[1]), "unacked": int(parts[2])}
        return {"ready": 0, "unacked": 0}

    def pids(self) -> list[int]:
        """The node's processes: its start script's descendants (``su`` starts a session)."""
        if self.proc is None or self.proc.poll() is not None:
            return []
        return tree(self.proc.pid)

    def cpu(self) -> float:
        return cpu_seconds(self.pids())


# -- the worker side -------------------------------------------------------------------


def bench_app(settings: Settings):  # type: ignore[no-untyped-def]
    """Our app plus the ETA design's task, which delivers exactly as the wheel does."""
    app = make_app(settings, name="bench-timers")
    drainers: dict[int, TimerDrainer] = {}

    @app.task(name=ETA_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
    def timer_eta(member: str, due_at: float) -> None:
        drainer = drainers.get(os.getpid())
        if drainer is None:
            client = redis.Redis.from_url(settings.redis_url or "", decode_responses=True)
            drainer = drainers[os.getpid()] = TimerDrainer(client, app, settings)
        drainer.deliver([ArmedTimer.from_member(member, due_at)], time.time())

    return app


def serve() -> None:
    settings = Settings.from_env()
    app = bench_app(settings)
    if os.environ["BENCH_DESIGN"] == "celery_eta":  # no wheel to poll in that design
        app.steps["consumer"].discard(TimerDrainStep)
    app.worker_main(
        [
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            f"--queues={settings.namespace}.timers",
            "--loglevel=WARNING",
            f"--hostname=bench-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
    )


class Workers:
    def __init__(self, settings: Settings, count: int, log_dir: Path, design: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KAZOO_")}
        env.update(settings.to_env(), PYTHONUNBUFFERED="1", BENCH_DESIGN=design)
        self.procs = []
        for index in range(count):
            with (log_dir / f"worker-{settings.namespace}-{index}.log").open("ab") as log:
                self.procs.append(
                    subprocess.Popen(
                        [sys.executable, __file__, "--serve"],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        self.settings = settings
        from kazoo_tasks.testing import wait_for_workers

        wait_for_workers(settings, count, timeout=120)
        time.sleep(1.0)  # let the pools settle before measuring

    def pids(self) -> list[int]:
        return [p for proc in self.procs if proc.poll() is None for p in tree(proc.pid)]

    def kill(self, index: int) -> None:
        os.killpg(self.procs[index].pid, signal.SIGKILL)
        self.procs[index].wait(10)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


# -- arming and reading the outcome ---------------------------------------------------------


def make_timers(count: int, first: float, last: float) -> list[ArmedTimer]:
    now = time.time()
    timers = []
    for index in range(count):
        call_id = f"bench-{uuid.uuid4().hex[:12]}"
        due = round(now + random.uniform(first, last), 3)
        timers.append(ArmedTimer(call_id, "fs1", timer_id(call_id, index), "bench", due))
    return timers


class Arming:
    def __init__(self, design: str, settings: Settings, client: redis.Redis) -> None:
        self.design = design
        self.settings = settings
        self.wheel = TimerWheel(client, settings)
        self.app = bench_app(settings) if design == "celery_eta" else None
        self.queue = f"{settings.namespace}.timers"

    def arm(self, timers: list[ArmedTimer]) -> tuple[float, float]:
        """Arm one by one, as steps do; returns (CPU seconds, wall seconds) spent here."""
        cpu, wall = time.process_time(), time.monotonic()
        for timer in timers:
            if self.app is not None:
                self.app.send_task(
                    ETA_TASK,
                    args=[timer.member, timer.due_at],
                    eta=datetime.fromtimestamp(timer.due_at, UTC),
                    queue=self.queue,
                    ignore_result=True,
                )
            else:
                self.wheel.apply([timer.outbox_entry("arm")])
        return time.process_time() - cpu, time.monotonic() - wall

    def close(self) -> None:
        if self.app is not None:
            self.app.close()


def deliveries(client: redis.Redis, settings: Settings, timers: list[ArmedTimer]) -> list[list]:
    pipe = client.pipeline(transaction=False)
    for timer in timers:
        pipe.xrange(inbox_key(settings, timer.call_id))
    return pipe.execute()


def wait_delivered(
    client: redis.Redis, settings: Settings, timers: list[ArmedTimer], deadline: float
) -> None:
    keys = [inbox_key(settings, t.call_id) for t in timers]
    while time.time() < deadline:
        if client.exists(*keys) == len(keys):
            return
        time.sleep(0.2)


def outcome(client: redis.Redis, settings: Settings, timers: list[ArmedTimer]) -> dict:
    late, missing, duplicates = [], 0, 0
    for timer, entries in zip(timers, deliveries(client, settings, timers), strict=True):
        if not entries:
            missing += 1
            continue
        duplicates += len(entries) - 1
        late.append(int(entries[0][0].split("-")[0]) - timer.due_at * 1000)
    late.sort()

    def pct(q: float) -> float | None:
        return round(late[min(int(q * len(late)), len(late) - 1)], 1) if late else None

    return {
        "timers": len(timers),
        "delivered": len(timers) - missing,
        "missing": missing,
        "duplicates": duplicates,
        "late_ms_p50": round(statistics.median(late), 1) if late else None,
        "late_ms_p99": pct(0.99),
        "late_ms_max": round(late[-1], 1) if late else None,
    }


# -- scenarios ---------------------------------------------------------------------------


class Bench:
    def __init__(self, workdir: Path, counts: dict[str, int]) -> None:
        self.workdir = workdir
        self.counts = counts
        self.redis = PrivateRedis(workdir)
        self.rabbit = PrivateRabbit(workdir / "rabbit")

    def settings(self) -> Settings:
        return Settings(
            namespace=f"bt{uuid.uuid4().hex[:8]}",
            data_dir=self.workdir / "data",
            broker_url=self.rabbit.url,
            redis_url=self.redis.url,
            result_backend=self.redis.url,
        )

    @contextlib.contextmanager
    def running(self, design: str, workers: int = 2) -> Iterator[tuple[Settings, Workers, Arming]]:
        settings = self.settings()
        pool = Workers(settings, workers, self.workdir, design)
        arming = Arming(design, settings, self.redis.client)
        try:
            yield settings, pool, arming
        finally:
            arming.close()
            pool.stop()

    def cpu(self, pool: Workers) -> dict[str, float]:
        return {
            "workers": cpu_seconds(pool.pids()),
            "redis": self.redis.cpu(),
            "rabbitmq": self.rabbit.cpu(),
        }

    def idle_rates(self, pool: Workers, seconds: float) -> dict[str, float]:
        before = self.cpu(pool)
        time.sleep(seconds)
        after = self.cpu(pool)
        return {k: (after[k] - before[k]) / seconds for k in before}

    def accuracy(self, design: str) -> dict:
        with self.running(design) as (settings, pool, arming):
            idle = self.idle_rates(pool, 5.0)
            timers = make_timers(self.counts["timers"], 2.0, 6.0)
            start, began = self.cpu(pool), time.monotonic()
            arm_cpu, _ = arming.arm(timers)
            wait_delivered(self.redis.client, settings, timers, max(t.due_at for t in timers) + 30)
            time.sleep(0.5)
            window, end = time.monotonic() - began, self.cpu(pool)
            result = outcome(self.redis.client, settings, timers)
        per_timer = {
            f"cpu_us_per_timer_{k}": round(
                (end[k] - start[k] - idle[k] * window) / len(timers) * 1e6
            )
            for k in start
        }
        return {
            **result,
            "cpu_us_per_timer_arming": round(arm_cpu / len(timers) * 1e6),
            **per_timer,
            "idle_cpu_pct_workers": round(idle["workers"] * 100, 2),
            "idle_cpu_pct_redis": round(idle["redis"] * 100, 2),
        }

    def armed(self, design: str) -> dict:
        with self.running(design) as (settings, pool, arming):
            rss_before = rss_mb(pool.pids())
            idle = self.idle_rates(pool, 5.0)
            timers = make_timers(self.counts["armed"], 25.0, 26.0)
            _, arm_wall = arming.arm(timers)
            time.sleep(2.0)
            holding = self.idle_rates(pool, 8.0)
            rss_holding = rss_mb(pool.pids())
            held = self.rabbit.queue(arming.queue)
            wait_delivered(self.redis.client, settings, timers, max(t.due_at for t in timers) + 60)
            result = outcome(self.redis.client, settings, timers)
        return {
            **result,
            "arming_per_s": round(len(timers) / arm_wall),
            "worker_rss_mb_before": rss_before,
            "worker_rss_mb_armed": rss_holding,
            "cpu_pct_while_armed_workers": round(holding["workers"] * 100, 2),
            "cpu_pct_idle_workers": round(idle["workers"] * 100, 2),
            "cpu_pct_while_armed_redis": round(holding["redis"] * 100, 2),
            "cpu_pct_while_armed_rabbitmq": round(holding["rabbitmq"] * 100, 2),
            "broker_messages_ready_while_armed": held["ready"],
            "broker_messages_unacked_while_armed": held["unacked"],
        }

    def kill(self, design: str) -> dict:
        with self.running(design) as (settings, pool, arming):
            timers = make_timers(self.counts["failures"], 4.0, 6.0)
            armed_at = time.time()
            arming.arm(timers)
            time.sleep(max(armed_at + 3.0 - time.time(), 0))
            pool.kill(0)
            wait_delivered(self.redis.client, settings, timers, max(t.due_at for t in timers) + 60)
            return {**outcome(self.redis.client, settings, timers), "killed_at_s_before_due": "1-3"}

    def broker_restart(self, design: str) -> dict:
        with self.running(design) as (settings, pool, arming):
            timers = make_timers(self.counts["failures"], 6.0, 8.0)
            armed_at = time.time()
            arming.arm(timers)
            time.sleep(max(armed_at + 2.0 - time.time(), 0))
            down = time.monotonic()
            self.rabbit.stop()
            self.rabbit.start()
            outage = time.monotonic() - down
            wait_delivered(self.redis.client, settings, timers, max(t.due_at for t in timers) + 90)
            time.sleep(6.0)  # let any late duplicate land
            return {**outcome(self.redis.client, settings, timers), "outage_s": round(outage, 1)}

    def consumer_timeout(self, design: str) -> dict:
        with self.running(design) as (settings, pool, arming):
            timers = make_timers(self.counts["failures"], 15.0, 16.0)
            arming.arm(timers)
            wait_delivered(self.redis.client, settings, timers, max(t.due_at for t in timers) + 60)
            time.sleep(3.0)
            crashed = sum(
                log.read_text(errors="replace").count("Unrecoverable error: PreconditionFailed")
                for log in self.workdir.glob(f"worker-{settings.namespace}-*.log")
            )
            return {
                **outcome(self.redis.client, settings, timers),
                "consumer_timeout_s": 5,
                "workers_died_of_ack_timeout": crashed,
                "workers_alive": sum(p.poll() is None for p in pool.procs),
            }

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.rabbit.stop()
        self.redis.stop()


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        serve()
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timers", type=int, default=2000, help="timers of the accuracy run")
    parser.add_argument("--armed", type=int, default=10_000, help="timers of the armed run")
    parser.add_argument("--failures", type=int, default=500, help="timers of the failure runs")
    parser.add_argument("--only", default=",".join(SCENARIOS))
    parser.add_argument("--designs", default=",".join(DESIGNS))
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs)")
    args = parser.parse_args()
    counts = {"timers": args.timers, "armed": args.armed, "failures": args.failures}
    workdir = Path(tempfile.mkdtemp(prefix="bench-timers-"))
    os.chmod(workdir, 0o755)
    bench = Bench(workdir, counts)
    try:
        for scenario in args.only.split(","):
            for design in args.designs.split(","):
                if scenario == "consumer_timeout":
                    bench.rabbit.stop()
                    bench.rabbit = PrivateRabbit(workdir / "rabbit-ct", consumer_timeout_ms=5000)
                figures = getattr(bench, scenario)(design)
                line = {"scenario": scenario, "design": design, **figures}
                print(json.dumps(line), flush=True)
    finally:
        bench.close()
        if args.keep:
            print(f"logs in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
