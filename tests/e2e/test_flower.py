"""Flower (Celery's monitor) against our broker and app: it sees our workers, their queues
and our tasks by name, through its HTTP API."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from kazoo_tasks.testing.processes import role_env
from kazoo_tasks.testing.services import free_port
from tests.waiting import wait_for

CELERY = Path(sys.executable).parent / "celery"


def _get(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, ConnectionError, json.JSONDecodeError):
        return None


def test_given_flower_on_the_test_broker_when_its_api_is_read_then_it_lists_our_workers_and_tasks(
    stack_factory, tmp_path
):
    stack = stack_factory()
    port = free_port()
    env = role_env(stack.settings, FLOWER_UNAUTHENTICATED_API="true")
    with (tmp_path / "flower.log").open("wb") as log:
        flower = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "kazoo_tasks.celery_app",
                "flower",
                f"--port={port}",
                "--address=127.0.0.1",
                f"--db={tmp_path / 'flower.db'}",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        workers = wait_for(
            lambda: (w := _get(f"http://127.0.0.1:{port}/api/workers?refresh=1")) and w,
            60,
            "Flower to list the workers",
        )
        ns = stack.settings.namespace
        ours = [name for name in workers if name.startswith(f"{ns}-")]
        assert len(ours) == 1, (workers.keys(), (tmp_path / "flower.log").read_text())
        worker = workers[ours[0]]
        assert {q["name"] for q in worker["active_queues"]} == {
            f"{ns}.callflow",
            f"{ns}.housekeeping",
            f"{ns}.webhooks",
        }
        assert {"kazoo.call.handle_events", "kazoo.housekeeping.write_cdrs"} <= set(
            worker["registered"]
        )
    finally:
        flower.terminate()
        flower.wait(15)
