"""Conformance: databases, including Kazoo's account databases whose names hold ``/``."""

from __future__ import annotations

import uuid

import pytest
import requests

from kazoo_tasks.docstore import (
    DatabaseNotFound,
    DocumentStore,
    InvalidRequest,
    account_db,
    account_id_from_db,
)
from tests.couchdb_server import ADMIN, CouchServer
from tests.waiting import wait_for


def test_given_an_account_db_name_when_created_then_it_is_listed_and_usable(
    store: DocumentStore,
) -> None:
    account_id = uuid.uuid4().hex
    name = account_db(account_id)

    assert store.ensure_db(name) is True
    assert store.ensure_db(name) is False
    store.save(name, {"_id": "callflow1"})

    assert store.db_exists(name)
    assert name in store.list_dbs()
    assert account_id_from_db(name) == account_id
    assert store.get(name, "callflow1")["_id"] == "callflow1"
    store.delete_db(name)


def test_given_a_database_when_deleted_then_it_is_gone_from_the_list_and_its_docs_too(
    store: DocumentStore,
) -> None:
    name = account_db(uuid.uuid4().hex)
    store.ensure_db(name)
    store.save(name, {"_id": "x"})

    store.delete_db(name)

    assert not store.db_exists(name)
    assert name not in store.list_dbs()
    with pytest.raises(DatabaseNotFound):
        store.delete_db(name)
    store.ensure_db(name)
    assert store.all_docs(name) == []
    store.delete_db(name)


def test_given_two_account_dbs_when_listed_then_the_list_is_sorted(
    store: DocumentStore,
) -> None:
    names = [account_db("ff" + uuid.uuid4().hex[2:]), account_db("00" + uuid.uuid4().hex[2:])]
    for name in names:
        store.ensure_db(name)

    listed = [n for n in store.list_dbs() if n in names]

    assert listed == sorted(names)
    for name in names:
        store.delete_db(name)


@pytest.mark.parametrize("bad", ["", "Upper", "1starts_with_digit", "has space", "a" * 239])
def test_given_an_invalid_db_name_when_created_then_invalid_request(
    store: DocumentStore, bad: str
) -> None:
    with pytest.raises(InvalidRequest):
        store.ensure_db(bad)


def test_given_a_write_when_reading_db_updates_then_the_database_is_named(
    store: DocumentStore, db: str
) -> None:
    since = store.db_updates("now").last_seq
    store.save(db, {"_id": "x"})
    named: list[str] = []

    def db_named() -> bool:
        # CouchDB delivers _db_updates in batches, up to ~0.5 s late, and events from just
        # before "now" may still come after it: read on, chained, until ours arrives
        nonlocal since
        page = store.db_updates(since, timeout=1)
        since = page.last_seq
        named.extend(update.db for update in page.results)
        return db in named

    wait_for(db_named, timeout=30, what=f"{db} in _db_updates")


def test_given_couchdb_when_an_account_db_is_created_then_it_has_one_shard(
    couchdb_server: CouchServer,
) -> None:
    from kazoo_tasks.docstore.couch import CouchDocumentStore

    store = CouchDocumentStore(couchdb_server.admin_url)
    name = account_db(uuid.uuid4().hex)
    store.ensure_db(name)

    url = f"{couchdb_server.base_url}/{name.replace('/', '%2F')}"
    info = requests.get(url, auth=ADMIN, timeout=10).json()

    store.delete_db(name)
    store.close()
    # CouchDB reports its shards; pouchdb-server has none to report
    assert info.get("cluster", {"q": 1})["q"] == 1
