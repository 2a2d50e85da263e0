"""``kazoo-tasks bench`` end to end (a few calls, no timing asserted): one JSON line with
the documented fields, every call completed, PNGs of the setup latencies (``--plot``) and
of the dashboard panels (``--metrics-plot``), and nothing left behind."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from kombu import Connection
from PIL import Image

from kazoo_tasks.bus import celery_queue_name
from tests.conftest import TEST_BROKER_URL, TEST_REDIS_URL

pytestmark = pytest.mark.long

KAZOO_TASKS = str(Path(sys.executable).with_name("kazoo-tasks"))
FIELDS = {
    "calls", "completed", "failed", "setup_ms_p50", "setup_ms_p99", "calls_per_s",
    "floor_ms", "ratio_p50", "cpu_ms_per_call", "own_cpu_ratio", "loadavg_before",
}  # fmt: skip


def test_given_rabbitmq_and_redis_when_the_bench_places_calls_then_it_prints_one_json_line_and_leaves_nothing(  # noqa: E501
    tmp_path,
):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAZOO_")}
    env.update(KAZOO_BROKER_URL=TEST_BROKER_URL, KAZOO_REDIS_URL=TEST_REDIS_URL)
    pictures = {"--plot": tmp_path / "setup.png", "--metrics-plot": tmp_path / "dashboard.png"}
    args = ["--calls", "20", "--rate", "20", "--warm-up", "2", "--floor-samples", "5", "--stages",
            *(str(arg) for option in pictures.items() for arg in option)]  # fmt: skip

    done = subprocess.run(
        [KAZOO_TASKS, "bench", *args], env=env, capture_output=True, text=True, timeout=240
    )

    assert done.returncode == 0, done.stderr
    assert "━" not in done.stderr and "placed" not in done.stderr  # no bar into a pipe
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert FIELDS <= set(result)
    assert (result["calls"], result["completed"], result["failed"]) == (20, 20, 0)
    assert result["setup_ms_p50"] > 0 and result["floor_ms"] > 0
    assert "task>routed" in result["stages_ms"]
    assert result["own_cpu_ratio"] > 0
    assert result["cpu_ms_per_call"]["broker"] > 0 and result["cpu_ms_per_call"]["redis"] > 0
    for picture, size in zip(pictures.values(), [(800, 450), (1200, 900)], strict=True):
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with Image.open(picture) as image:
            assert image.format == "PNG" and image.size == size
            image.load()  # the whole picture decodes
    namespace, data_dir = re.search(
        r"namespace (\S+), data and logs in (\S+)", done.stderr
    ).groups()
    assert not Path(data_dir).exists()
    client = redis.Redis.from_url(TEST_REDIS_URL)
    assert list(client.scan_iter(f"{namespace}:*")) == []
    client.close()
    with Connection(TEST_BROKER_URL) as conn:
        for role in ("callflow", "housekeeping"):
            channel = conn.channel()
            try:
                channel.queue_declare(celery_queue_name(namespace, role), passive=True)
                left = True
            except conn.channel_errors:
                left = False
            assert not left, f"queue {role} left"


def test_given_a_running_bench_when_it_is_sent_sigterm_then_it_stops_every_process_it_started():
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAZOO_")}
    env.update(KAZOO_BROKER_URL=TEST_BROKER_URL, KAZOO_REDIS_URL=TEST_REDIS_URL)
    bench = subprocess.Popen(
        [KAZOO_TASKS, "bench", "--calls", "1000", "--rate", "5", "--floor-samples", "5"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        said = []
        for line in bench.stderr:  # the roles are up once the floor is being measured
            said.append(line)
            if "stack up" in line:
                break
        assert bench.poll() is None, "".join(said)
        started = Path(f"/proc/{bench.pid}/task/{bench.pid}/children").read_text().split()
        assert len(started) >= 3, started  # ecallmgr, a worker, changes (own sessions)

        bench.send_signal(signal.SIGTERM)
        bench.communicate(timeout=60)
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.wait()

    left = [pid for pid in started if _running(int(pid))]
    for pid in left:  # each leads a session of its own: stop what a failure left
        os.killpg(int(pid), signal.SIGKILL)
    assert bench.returncode == 128 + signal.SIGTERM
    assert left == [], f"still running after the bench stopped: {left}"
    data_dir = re.search(r"data and logs in (\S+)", "".join(said)).group(1)
    assert not Path(data_dir).exists()


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not exited (a zombie has)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return False
    return fields[0] != "Z"
