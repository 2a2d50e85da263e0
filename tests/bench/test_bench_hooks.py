"""``kazoo-tasks bench --hooks-url``: the bench account's calls fire its webhooks
(channel_create, channel_answer, channel_destroy) at the URL, delivered by a webhooks
worker of the run's own, so scripts/bench_webhooks.py can compare call setup with and
without a receiver that hangs (docs/operations.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_BROKER_URL, TEST_PIVOT_ALLOW, TEST_REDIS_URL
from tests.web_server import Answer, WebServer, serving

pytestmark = pytest.mark.long

KAZOO_TASKS = str(Path(sys.executable).with_name("kazoo-tasks"))
CALLS = 5


@pytest.fixture
def web_server() -> Iterator[WebServer]:
    yield from serving()


def test_given_a_hooks_url_when_the_bench_runs_then_each_call_fires_its_three_hooks_there(
    web_server,
):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAZOO_")}
    env.update(KAZOO_BROKER_URL=TEST_BROKER_URL, KAZOO_REDIS_URL=TEST_REDIS_URL)
    env.update(KAZOO_PIVOT_ALLOW_NETWORKS=TEST_PIVOT_ALLOW)  # the receiver is on loopback
    url = web_server.answer("/hook", Answer(200))
    args = ["--calls", str(CALLS), "--warm-up", "0", "--floor-samples", "2", "--hooks-url", url]

    done = subprocess.run(
        [KAZOO_TASKS, "bench", *args], env=env, capture_output=True, text=True, timeout=240
    )

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["completed"] == CALLS
    assert result["hooks"] == ["channel_create", "channel_answer", "channel_destroy"]
    received = [request.form for request in web_server.requests_to("/hook")]
    fired = Counter(event["hook_event"] for event in received)
    # each call's channel_create is long delivered when the run ends; the last calls'
    # later events may still wait in the queue the bench then removes
    assert fired["channel_create"] == CALLS
    assert 0 < fired["channel_answer"] <= CALLS and fired["channel_destroy"] <= CALLS
    assert set(fired) <= set(result["hooks"])
    assert len({event["account_id"] for event in received}) == 1
