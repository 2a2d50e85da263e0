"""The whole call pipeline with the real ecallmgr: the emulator calls 1000, ecallmgr
publishes the park, a ``kazoo-tasks worker`` process runs the callflow, its commands come
back through ecallmgr to the switch, and nothing of the call is left afterwards."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from kazoo_tasks import services
from kazoo_tasks.docstore import DocumentStore, NotFound, account_db
from kazoo_tasks.esl.emulator import Emulator
from kazoo_tasks.keys import call_key_pattern, node_key
from tests.ecallmgr.conftest import NODE, subscribed
from tests.waiting import wait_for
from tests.workers import WorkerProcess, drop_worker_exchanges, wait_for_consumers

ACCOUNT_ID = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
TONE = "tone_stream://%(200,0,440)"


@pytest.fixture
def esl_port(emulator: Emulator) -> int:
    return emulator.port


@pytest.fixture
def documents(node_settings) -> Iterator[DocumentStore]:
    """The embedded document store the worker process reads too, with a callflow for
    1000: answer, play a tone, hang up."""
    store = services.document_store(node_settings)
    db = account_db(ACCOUNT_ID)
    store.ensure_db(db)
    flow = {
        "module": "answer",
        "data": {},
        "children": {
            "_": {
                "module": "play",
                "data": {"id": TONE},
                "children": {"_": {"module": "hangup", "data": {}, "children": {}}},
            }
        },
    }
    store.save(db, {"_id": "cf-1000", "pvt_type": "callflow", "numbers": ["1000"], "flow": flow})
    yield store
    store.close()


@pytest.fixture
def worker(node_settings, tmp_path) -> Iterator[WorkerProcess]:
    process = WorkerProcess(node_settings, concurrency=2, log_path=tmp_path / "worker.log")
    process.start()
    try:
        wait_for_consumers(node_settings, 1)
        yield process
    finally:
        process.stop()
        drop_worker_exchanges(node_settings)


def cdr_of(documents: DocumentStore, call_id: str) -> dict | None:
    try:
        found = documents.find(account_db(ACCOUNT_ID), {"pvt_type": "cdr", "call_id": call_id})
    except NotFound:
        return None
    return found[0] if found else None


def test_given_a_callflow_for_1000_when_the_emulator_calls_it_then_answer_play_hangup_reach_the_switch_and_nothing_is_left(  # noqa: E501
    emulator, spawn_ecallmgr, node_settings, redis_client, documents, worker
):
    spawn_ecallmgr()
    wait_for(lambda: subscribed(emulator), what="ecallmgr to subscribe")

    call = emulator.place_call("1000", variables={"ecallmgr_Account-ID": ACCOUNT_ID})
    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"

    assert [(c.kind, c.app, c.args) for c in call.commands] == [
        ("execute", "answer", ""),
        ("execute", "playback", TONE),
        ("hangup", "", ""),
    ]
    cdr = wait_for(lambda: cdr_of(documents, call.uuid), what="the CDR")
    assert cdr["callflow_id"] == "cf-1000" and cdr["hangup_cause"] == "NORMAL_CLEARING"
    controlled = node_key(node_settings.namespace, NODE, "controlled")
    wait_for(lambda: not redis_client.sismember(controlled, call.uuid), what="release")
    time.sleep(node_settings.hangup_grace + 1)
    pattern = call_key_pattern(node_settings.namespace, call.uuid)
    assert list(redis_client.scan_iter(pattern, count=1000)) == []
