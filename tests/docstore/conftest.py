"""Fixtures of the document-store conformance suite. Every test taking ``store`` (from
tests/conftest.py) runs once per back end: the embedded store and the session's CouchDB."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from kazoo_tasks.docstore import DocumentStore, account_db


@pytest.fixture
def db(store: DocumentStore) -> Iterator[str]:
    """A fresh account database (a name with ``/``), deleted afterwards."""
    name = account_db(uuid.uuid4().hex)
    store.ensure_db(name)
    yield name
    if store.db_exists(name):
        store.delete_db(name)
