"""``kazoo-tasks bench acdc`` end to end (a few callers, no timing asserted): one JSON line
with the documented fields, every caller connected once, nothing lost or double-booked,
nothing left behind."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
import redis

from tests.bench.test_bench_command import KAZOO_TASKS
from tests.conftest import TEST_BROKER_URL, TEST_REDIS_URL

pytestmark = pytest.mark.long

FIELDS = {
    "callers", "connected", "abandoned", "lost", "double_booked", "offer_ms_p50",
    "offer_ms_p99", "calls_per_s", "tasks_per_call", "tasks_by_name",
}  # fmt: skip


def test_given_callers_and_agents_when_the_acdc_bench_runs_then_it_prints_one_clean_json_line():
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAZOO_")}
    env.update(KAZOO_BROKER_URL=TEST_BROKER_URL, KAZOO_REDIS_URL=TEST_REDIS_URL)
    args = ["--callers", "12", "--agents", "4", "--rate", "12", "--talk", "2"]

    done = subprocess.run(
        [KAZOO_TASKS, "bench", "acdc", *args], env=env, capture_output=True, text=True, timeout=240
    )

    assert done.returncode == 0, done.stderr
    [line] = done.stdout.strip().splitlines()
    result = json.loads(line)
    assert FIELDS <= set(result)
    assert (result["callers"], result["connected"], result["lost"]) == (12, 12, 0)
    assert result["double_booked"] == 0 and result["multi_connected"] == 0
    assert result["offer_ms_p50"] > 0
    by_name = result["tasks_by_name"]  # every caller's call ran and was taken out of the queue
    assert by_name["kazoo.acdc.member_ended"] >= 1 and result["tasks_per_call"] > 1
    namespace = re.search(r"namespace (\S+),", done.stderr).group(1)
    client = redis.Redis.from_url(TEST_REDIS_URL)
    assert list(client.scan_iter(f"{namespace}:*")) == []
    client.close()
