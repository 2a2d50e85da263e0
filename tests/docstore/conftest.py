"""Fixtures of the document-store conformance suite: every test taking ``store`` runs once
per back end (the embedded SQLite store and CouchDB, i.e. pouchdb-server here)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kazoo_tasks.docstore import DocumentStore, account_db
from kazoo_tasks.docstore.embedded import EmbeddedDocumentStore

BACK_ENDS = ["embedded"]


@pytest.fixture(params=BACK_ENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentStore]:
    """A document store of each back end."""
    if request.param == "embedded":
        value: DocumentStore = EmbeddedDocumentStore(tmp_path / "documents.sqlite3")
    else:
        from kazoo_tasks.docstore.couch import CouchDocumentStore

        value = CouchDocumentStore(request.getfixturevalue("couchdb_url"))
    yield value
    value.close()


@pytest.fixture
def db(store: DocumentStore) -> Iterator[str]:
    """A fresh account database (a name with ``/``), deleted afterwards."""
    name = account_db(uuid.uuid4().hex)
    store.ensure_db(name)
    yield name
    if store.db_exists(name):
        store.delete_db(name)
