"""``kazoo-tasks status`` as a health check: all up → 0; a killed worker or a cut ESL link
→ reported, exit 1."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from typing import Any

import pytest

from kazoo_tasks.config import Settings
from kazoo_tasks.testing.processes import role_env
from tests.waiting import wait_for


def status(settings: Settings) -> tuple[int, dict[str, Any]]:
    """Run ``kazoo-tasks status --json`` as ops would: its exit code and its report."""
    done = subprocess.run(
        [sys.executable, "-P", "-m", "kazoo_tasks", "status", "--json"],
        env=role_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, json.loads(done.stdout.splitlines()[-1])


def test_given_a_running_stack_when_a_worker_dies_then_status_says_so_and_exits_1(
    stack_factory,
):
    stack = stack_factory(changes=True)
    wait_for(lambda: status(stack.settings)[0] == 0, 30, "everything up")
    code, report = status(stack.settings)
    assert code == 0 and report["ok"] and report["problems"] == []
    assert report["nodes"][0]["name"] == "fs1" and report["nodes"][0]["connected_by"]
    assert report["nodes"][0]["lease_holder"] == report["nodes"][0]["connected_by"]
    assert len(report["workers"]) == 1 and report["changes_holder"]
    queues = {q["name"]: q for q in report["queues"]}
    assert queues[f"{stack.settings.namespace}.commands.fs1"]["consumers"] == 1

    stack.workers[0].kill()

    code, report = status(stack.settings)
    assert code == 1 and not report["ok"]
    assert report["workers"] == []
    assert report["problems"] == ["workers: 0 answered, 1 expected"]


@pytest.mark.faults
def test_given_a_running_stack_when_the_esl_link_is_cut_then_status_says_so_and_exits_1(
    stack_factory,
):
    stack = stack_factory(changes=True)
    wait_for(lambda: status(stack.settings)[0] == 0, 30, "everything up")

    cutting = threading.Thread(target=lambda: stack.emulator.cut_connections(refuse_for=20))
    cutting.start()
    try:
        code, report = wait_for(
            lambda: (r := status(stack.settings))[0] == 1 and r, 15, "the cut to show"
        )
        assert report["problems"] == ["node fs1: no ecallmgr connected"]
        assert report["nodes"][0]["connected_by"] is None
        assert report["nodes"][0]["lease_holder"]  # ecallmgr still holds it, reconnecting
    finally:
        cutting.join()
    wait_for(lambda: status(stack.settings)[0] == 0, 30, "the link back")
