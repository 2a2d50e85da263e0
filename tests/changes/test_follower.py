"""The changes process: feeds in, doc-change notifications out, checkpoints in Redis."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from kazoo_tasks.config import Settings
from kazoo_tasks.doc_changes import DOC_CREATED, DOC_DELETED, DOC_EDITED, binding_key
from kazoo_tasks.docstore import DocumentStore, account_db
from tests.changes.helpers import Collector, collecting, following


@pytest.fixture
def account(store: DocumentStore) -> Iterator[tuple[str, str]]:
    """(account id, account db), created before the follower starts and dropped after."""
    account_id = uuid.uuid4().hex
    db = account_db(account_id)
    store.ensure_db(db)
    yield account_id, db
    if store.db_exists(db):
        store.delete_db(db)


@contextmanager
def notifications(settings: Settings, store: DocumentStore) -> Iterator[Collector]:
    """Every notification published while a follower runs; it follows the feeds when the
    block starts."""
    with collecting(settings) as seen, following(settings, store) as follower:
        assert follower.following.wait(15)
        yield seen


def test_given_a_running_follower_when_a_doc_is_created_edited_deleted_then_three_notifications(
    settings: Settings, store: DocumentStore, account: tuple[str, str]
) -> None:
    account_id, db = account
    with notifications(settings, store) as seen:
        doc = store.save(db, {"_id": "cf1", "pvt_type": "callflow", "numbers": ["1000"]})
        key, created = seen.wait_for(lambda c: c.doc_id == "cf1" and c.name == DOC_CREATED)
        doc = store.save(db, {**doc, "numbers": ["1001"]})
        seen.wait_for(lambda c: c.doc_id == "cf1" and c.name == DOC_EDITED)
        store.delete(db, "cf1", doc["_rev"])
        _, deleted = seen.wait_for(lambda c: c.doc_id == "cf1" and c.name == DOC_DELETED)

    encoded_db = db.replace("/", "%2F")
    assert key == f"{encoded_db}.callflow.cf1"
    assert created.account_id == account_id
    assert created.db == db
    assert deleted.pvt_type == "callflow"


def test_given_bindings_with_wildcards_when_docs_change_then_each_binding_gets_its_share(
    settings: Settings, store: DocumentStore, account: tuple[str, str]
) -> None:
    _, db = account
    with (
        collecting(settings, binding_key(pvt_type="callflow")) as callflows,
        collecting(settings, binding_key(db) + ".#") as whole_account,
        following(settings, store) as follower,
    ):
        assert follower.following.wait(15)
        store.save(db, {"_id": "u.1", "pvt_type": "user"})
        store.save(db, {"_id": "cf#1", "pvt_type": "callflow"})
        whole_account.wait_for(lambda c: c.doc_id == "cf#1")
        whole_account.wait_for(lambda c: c.doc_id == "u.1")
        callflows.wait_for(lambda c: c.doc_id == "cf#1")
        only_callflows = callflows.drain()

    assert [c.doc_id for _, c in only_callflows] == ["cf#1"]
    assert [k for k, c in whole_account.seen if c.doc_id == "u.1"] == [
        f"{db.replace('/', '%2F')}.user.u%2E1"
    ]


def test_given_a_database_created_after_start_when_written_then_its_changes_are_published(
    settings: Settings, store: DocumentStore
) -> None:
    db = account_db(uuid.uuid4().hex)
    with notifications(settings, store) as seen:
        store.ensure_db(db)
        store.save(db, {"_id": "first", "pvt_type": "device"})
        _, change = seen.wait_for(lambda c: c.db == db)
    store.delete_db(db)

    assert (change.doc_id, change.name, change.pvt_type) == ("first", DOC_CREATED, "device")


def test_given_a_stopped_follower_when_docs_change_meanwhile_then_a_restart_publishes_only_those(
    settings: Settings, store: DocumentStore, account: tuple[str, str]
) -> None:
    _, db = account
    with notifications(settings, store) as seen:
        store.save(db, {"_id": "before", "pvt_type": "user"})
        seen.wait_for(lambda c: c.doc_id == "before")

    store.save(db, {"_id": "while-down-1", "pvt_type": "user"})
    store.save(db, {"_id": "while-down-2", "pvt_type": "user"})

    with collecting(settings) as seen, following(settings, store):
        seen.wait_for(lambda c: c.doc_id == "while-down-2")
        published = [c.doc_id for _, c in seen.drain() if c.db == db]

    assert sorted(published) == ["while-down-1", "while-down-2"]


@pytest.mark.parametrize(
    ("excluded", "announced"),
    [(None, {"cf-after"}), ("", {"cdr-1", "cf-after"}), ("ledger", {"cdr-1", "cf-after"})],
    ids=["default", "none-excluded", "ledgers-only"],
)
def test_given_excluded_types_when_docs_of_them_change_then_no_notification_is_published(
    settings: Settings, store: DocumentStore, account: tuple[str, str], excluded, announced
) -> None:
    """Kazoo's ``change_notice_exclude_types``: CDRs (and the other write-once records)
    are not announced by default; the setting decides which types."""
    _, db = account
    if excluded is not None:
        settings = dataclasses.replace(settings, change_notice_exclude_types=excluded)
    with notifications(settings, store) as seen:
        store.save(db, {"_id": "cdr-1", "pvt_type": "cdr", "call_id": "c1"})
        store.save(db, {"_id": "cf-after", "pvt_type": "callflow"})
        store.save(db, {"_id": "marker", "pvt_type": "user"})  # after both, in the feed
        seen.wait_for(lambda c: c.doc_id == "marker")
        received = seen.drain()

    assert {c.doc_id for _, c in received} - {"marker"} == announced
