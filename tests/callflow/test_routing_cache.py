"""Routing reads through each worker's document cache; the changes process's doc-change
notifications keep it fresh, so an edited callflow routes the next calls."""

from __future__ import annotations

import time

import pytest
import redis

from kazoo_tasks.docstore import account_db
from kazoo_tasks.testing import RoleProcess
from tests.callflow.conftest import ACCOUNT_ID, node
from tests.changes.processes import wait_primed

BEFORE = "tone_stream://before-the-edit"
AFTER = "tone_stream://after-the-edit"


@pytest.fixture
def changes(settings, tmp_path):
    process = RoleProcess(
        ["changes"], settings, tmp_path / "changes.log", env={"KAZOO_CHANGES_LEASE_TTL": "2"}
    ).start()
    client = redis.Redis.from_url(settings.redis_url)
    try:
        wait_primed(client, settings)
        yield process
    finally:
        client.close()
        process.stop()


def _played(switch, call_id: str) -> str:
    assert switch.wait_ended([call_id]) == []
    return next(app for app in switch.apps(call_id) if app.startswith("playback"))


def test_given_a_routed_number_when_its_callflow_is_edited_then_later_calls_run_the_new_flow(
    worker, switch, save_callflow, documents, changes
):
    save_callflow("cf-edit", node("play", {"id": BEFORE}), numbers=["1000"])
    assert _played(switch, switch.park("1000", account_id=ACCOUNT_ID)) == f"playback {BEFORE}"
    assert _played(switch, switch.park("1000", account_id=ACCOUNT_ID)) == f"playback {BEFORE}"

    doc = documents.get(account_db(ACCOUNT_ID), "cf-edit")
    documents.save(account_db(ACCOUNT_ID), {**doc, "flow": node("play", {"id": AFTER})})

    deadline = time.monotonic() + 10
    played = ""
    while time.monotonic() < deadline and played != f"playback {AFTER}":
        played = _played(switch, switch.park("1000", account_id=ACCOUNT_ID))
        time.sleep(0.1)
    assert played == f"playback {AFTER}"
