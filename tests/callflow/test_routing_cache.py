"""Routing reads through the process's cache, and an edit made behind our back (an HTTP
PUT straight into CouchDB, or another writer of the embedded store) reaches the next call
within a second: the real ``kazoo-tasks changes`` process announces it, the worker's
cache listener erases the route table."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import requests

from callflow import router
from kazoo_tasks.cache import named_cache
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import account_db
from kazoo_tasks.docstore.embedded import EmbeddedDocumentStore
from tests.callflow.conftest import node
from tests.changes.processes import changes_process_running
from tests.couchdb_server import ADMIN

STALE_AFTER_S = 5.0
"""A route still stale this long after the edit is a failure; how fast an edit is
followed is measured, not asserted (scripts/bench_docstore.py, docs/documents.md: about
0.1 s on the embedded store, 0.5 s with CouchDB's default ``_global_changes`` batching)."""
BEFORE = "tone_stream://%(100,0,440)"
AFTER = "tone_stream://%(100,0,880)"


@pytest.fixture(params=["embedded", "couch"])
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """The engine's settings on each document store back end."""
    if request.param == "couch":
        return settings.with_overrides(couchdb_url=request.getfixturevalue("couchdb_url"))
    return settings


def _edit_behind_our_back(settings: Settings, request, db: str, doc: dict) -> None:
    """Change the callflow's flow without going through our document-store object."""
    edited = {**doc, "flow": node("play", {"id": AFTER, "answer": False})}
    if settings.couchdb_url:
        server = request.getfixturevalue("couchdb_server")
        url = f"{server.base_url}/{db.replace('/', '%2F')}/{doc['_id']}"
        answer = requests.put(url, json=edited, auth=ADMIN, timeout=10)
        assert answer.status_code == 201, answer.text
    else:
        other_writer = EmbeddedDocumentStore(settings.data_dir / "documents.sqlite3")
        other_writer.save(db, edited)
        other_writer.close()


def test_given_a_cached_route_when_its_callflow_is_edited_directly_in_the_store_then_the_next_call_follows_the_edit(  # noqa: E501
    settings, request, tmp_path: Path, worker, switch, save_callflow, documents
):
    account_id = uuid.uuid4().hex  # the CouchDB server is shared by the whole session
    db = account_db(account_id)
    doc = save_callflow(
        "cf-route", node("play", {"id": BEFORE, "answer": False}), ["3000"], account_id=account_id
    )
    cache = named_cache(settings)
    with changes_process_running(settings, tmp_path, settings.couchdb_url):
        first = switch.park("3000", account_id=account_id)
        assert switch.wait_ended([first]) == []
        assert switch.apps(first) == [f"playback {BEFORE}", "hangup NORMAL_CLEARING"]
        assert ("route_table", db) in cache  # the next call would be routed from here

        _edit_behind_our_back(settings, request, db, doc)
        edited_at = time.monotonic()
        while router.route(documents, account_id, "3000", cache).callflow["flow"]["data"] != {
            "id": AFTER,
            "answer": False,
        }:
            assert time.monotonic() - edited_at < STALE_AFTER_S, "the route table stayed stale"
            time.sleep(0.01)
        elapsed = time.monotonic() - edited_at
        print(f"\n{settings.couchdb_url and 'couch' or 'embedded'}: edit routed after "
              f"{elapsed * 1000:.0f} ms")  # fmt: skip

        second = switch.park("3000", account_id=account_id)
        assert switch.wait_ended([second]) == []
        assert switch.apps(second) == [f"playback {AFTER}", "hangup NORMAL_CLEARING"]
