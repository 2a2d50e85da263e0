"""``kazoo-tasks chaos`` in its short form: calls through a three-level callflow while a
worker is SIGKILLed, RabbitMQ and Redis (private servers) are killed and restarted and the
ESL link is cut; the one JSON line it prints must show nothing lost, stuck, doubled or out
of order. (The full-size run, 200 calls, is quoted in docs/reliability.md.)"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kazoo_tasks.testing.processes import role_env

pytestmark = pytest.mark.faults


def test_given_a_short_chaos_run_then_no_call_is_lost_stuck_doubled_or_reordered(
    settings, tmp_path
):
    env = role_env(settings, KAZOO_LOG_LEVEL="WARNING")
    done = subprocess.run(
        [sys.executable, "-P", "-m", "kazoo_tasks", "chaos", "--calls", "40", "--rate", "10",
         "--esl-cut-for", "3"],
        env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps(result))
    assert result["calls"] == 40
    assert result["lost"] == 0 and result["stuck"] == 0
    assert result["duplicate_commands"] == 0 and result["out_of_order_events"] == 0
    assert result["ended_with_cdr"] == 40 and result["completed"] == 40
    assert not result["fault_errors"]
    assert len(result["faults"]) >= 4  # the ESL cut, RabbitMQ, Redis and worker kills
