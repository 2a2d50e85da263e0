"""The CDR spool (callflow/cdr_spool.py): CDRs of ended calls wait in Redis and a
``write_cdrs`` task stores them in batches, each once, whatever dies in between."""

from __future__ import annotations

import uuid

import pytest
import redis

from callflow.cdr_spool import BATCH, CdrSpool, cdr_spool
from kazoo_tasks.bus import WRITE_CDRS_TASK
from kazoo_tasks.docstore import account_db
from tests.callflow.conftest import ACCOUNT_ID, cdr_of, node
from tests.e2e.conftest import TONE
from tests.waiting import wait_for


def a_cdr(call_id: str | None = None) -> dict:
    """A CDR as the navigator builds it (deterministic id: the month and the call id)."""
    call_id = call_id or uuid.uuid4().hex
    return {
        "_id": f"202612-{call_id}",
        "pvt_type": "cdr",
        "call_id": call_id,
        "account_id": ACCOUNT_ID,
        "hangup_cause": "NORMAL_CLEARING",
    }


@pytest.fixture
def spool(settings) -> CdrSpool:
    return cdr_spool(settings)


def push(spool: CdrSpool, cdrs: list[dict]) -> bool:
    """Push as a worker's publisher does; whether this push must send the flush."""
    return spool.push(cdrs)


def stored(documents, cdrs: list[dict]) -> list[dict | None]:
    return [cdr_of(documents, cdr["call_id"]) for cdr in cdrs]


def test_given_cdrs_pushed_one_by_one_then_only_the_first_push_schedules_a_flush_until_one_takes_them(  # noqa: E501
    spool: CdrSpool,
):
    first, second, third = a_cdr(), a_cdr(), a_cdr()

    assert push(spool, [first]) is True
    assert push(spool, [second]) is False
    assert push(spool, [third]) is False
    taken = spool.take("flush-1")

    assert [c["call_id"] for c in taken.cdrs] == [c["call_id"] for c in (first, second, third)]
    assert taken.left == 0 and spool.waiting() == 0
    assert push(spool, [a_cdr()]) is True  # the flush took everything: the next one schedules
    assert spool.take("flush-1").cdrs == taken.cdrs  # not done yet: the same batch again
    spool.done("flush-1")
    assert len(spool.take("flush-2").cdrs) == 1


def test_given_more_cdrs_than_a_batch_when_taken_then_the_rest_waits_and_stays_scheduled(
    spool: CdrSpool,
):
    push(spool, [a_cdr() for _ in range(BATCH + 3)])

    taken = spool.take("flush-1")

    assert (len(taken.cdrs), taken.left) == (BATCH, 3)
    assert push(spool, [a_cdr()]) is False  # the running flush sends the next one
    assert (len(spool.take("flush-2").cdrs), spool.waiting()) == (4, 0)


def test_given_a_flush_that_died_after_taking_its_batch_when_it_runs_again_then_it_stores_each_cdr_once(  # noqa: E501
    app, settings, spool: CdrSpool, documents
):
    cdrs = [a_cdr() for _ in range(5)]
    push(spool, cdrs)
    spool.take("flush-1")  # its worker died here, before storing anything
    push(spool, [late := a_cdr()])  # a call that ended meanwhile
    documents.save(account_db(ACCOUNT_ID), dict(cdrs[0]))  # one stored before it died

    app.loader.import_default_modules()  # the task modules, as a worker loads them
    redelivered = app.tasks[WRITE_CDRS_TASK].apply(task_id="flush-1")

    assert redelivered.get() == 4  # its own batch, the one stored before skipped
    assert all(stored(documents, cdrs))
    assert cdr_of(documents, late["call_id"]) is None  # not its batch: the next flush's
    assert app.tasks[WRITE_CDRS_TASK].apply(task_id="flush-2").get() == 1
    assert cdr_of(documents, late["call_id"]) is not None
    assert spool.waiting() == 0 and spool.take("flush-1").cdrs == []  # batches gone


def test_given_calls_ending_together_when_the_workers_run_then_every_cdr_is_stored_by_fewer_tasks_than_calls(  # noqa: E501
    settings, worker, switch, save_callflow, documents, spool: CdrSpool
):
    save_callflow("cf-main", node("answer", _=node("play", {"id": TONE})), numbers=["1000"])
    flushes = redis.Redis.from_url(settings.redis_url)
    calls = [switch.park("1000", account_id=ACCOUNT_ID) for _ in range(12)]

    assert switch.wait_ended(calls) == []
    cdrs = wait_for(lambda: (got := [cdr_of(documents, c) for c in calls]) and all(got) and got)

    assert {cdr["call_id"] for cdr in cdrs} == set(calls)
    assert spool.waiting() == 0
    assert flushes.exists(spool.scheduled_key) == 0
