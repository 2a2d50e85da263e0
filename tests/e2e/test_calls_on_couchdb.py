"""The whole pipeline with its documents in CouchDB (the session's test CouchDB: a real
Apache CouchDB 3.4.3 where its release is on the machine): every role reads accounts and
callflows from it, CDRs are written to it, and a callflow edited directly in CouchDB is
followed by the next call (the changes process sees the edit and the workers' caches
drop the old route)."""

from __future__ import annotations

import uuid

import pytest

from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import account_db
from tests.e2e.conftest import SECOND_TONE, TONE, Account, node
from tests.e2e.test_load import assert_every_call_ran_the_flow_once
from tests.waiting import wait_for

CALLS = 20


@pytest.fixture
def settings(settings: Settings, couchdb_url: str) -> Settings:
    """Every role of the stack on the test CouchDB instead of the embedded store."""
    return settings.with_overrides(couchdb_url=couchdb_url)


@pytest.fixture
def account(store) -> Account:
    """An account of its own name: the session's CouchDB is shared by every test."""
    return Account(store, f"E2E on CouchDB {uuid.uuid4().hex[:8]}")


def test_given_documents_in_couchdb_when_calls_run_then_each_gets_its_flow_and_a_cdr_in_couchdb(
    stack_factory, store, account
):
    assert type(store).__name__ == "CouchDocumentStore"
    account.callflow(["1000"], node("answer", then=node("play", {"id": TONE}, then=node("hangup"))))
    stack = stack_factory()

    calls = stack.emulator.place_calls(
        CALLS, rate=20, destination="1000", variables=account.variables
    ).result(30)

    expected = [("execute", "answer", ""), ("execute", "playback", TONE), ("hangup", "", "")]
    assert_every_call_ran_the_flow_once(calls, expected)
    cdrs = [wait_for(lambda c=call: account.cdr(c.uuid), 30, "the CDR") for call in calls]
    assert {cdr["hangup_cause"] for cdr in cdrs} == {"NORMAL_CLEARING"}
    assert len(store.find(account_db(account.id), {"pvt_type": "cdr"})) == CALLS


def test_given_a_callflow_edited_directly_in_couchdb_then_the_next_call_follows_the_edit(
    stack_factory, store, account
):
    callflow_id = account.callflow(["1001"], node("play", {"id": TONE}))
    stack = stack_factory(changes=True)
    first = stack.emulator.place_call("1001", variables=account.variables)
    assert first.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [args for app, args in first.applications if app == "playback"] == [TONE]

    db = account_db(account.id)
    doc = store.get(db, callflow_id)
    store.save(db, {**doc, "flow": node("play", {"id": SECOND_TONE})})  # not through the API

    def next_call_plays() -> list[str]:
        call = stack.emulator.place_call("1001", variables=account.variables)
        call.wait_hangup(timeout=30)
        played = [args for app, args in call.applications if app == "playback"]
        return played if played == [SECOND_TONE] else []

    assert wait_for(next_call_plays, 30, "a call that follows the edit") == [SECOND_TONE]
