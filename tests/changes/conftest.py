"""Fixtures of the changes-process tests: a document store of each back end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore
from kazoo_tasks.docstore.embedded import EmbeddedDocumentStore


@pytest.fixture(params=["embedded", "couch"])
def store(request: pytest.FixtureRequest, settings: Settings) -> Iterator[DocumentStore]:
    """The store the follower reads (and the test writes), per back end."""
    if request.param == "embedded":
        value: DocumentStore = EmbeddedDocumentStore(settings.data_dir / "documents.sqlite3")
    else:
        from kazoo_tasks.docstore.couch import CouchDocumentStore

        value = CouchDocumentStore(request.getfixturevalue("couchdb_url"))
    yield value
    value.close()
