"""Shared fixtures: settings pointing at the real local RabbitMQ and Redis, isolated per
test by a unique namespace (queue, exchange and key prefix), cleaned up afterwards."""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import kombu.pools
import pytest
import redis

from kazoo_tasks.cache.listener import close_namespace
from kazoo_tasks.config import FreeswitchNode, Settings
from kazoo_tasks.docstore import DocumentStore
from kazoo_tasks.docstore.embedded import EmbeddedDocumentStore
from kazoo_tasks.embedded.redis_server import SOCKET_NAME, answers_ping, stop_redis
from kazoo_tasks.testing import drop_namespace
from kazoo_tasks.testing.services import PrivateRabbitMQ
from tests.couchdb_server import CouchServer, start_test_couch

# pytest-celery 1.x is disabled in pyproject (-p no:celery): its fixtures need Docker.
pytest_plugins = ("celery.contrib.pytest",)

FIXTURES = Path(__file__).parent / "fixtures"
FREESWITCH_FIXTURES = FIXTURES / "freeswitch"

TEST_BROKER_URL = os.environ.get("KAZOO_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
TEST_REDIS_URL = os.environ.get("KAZOO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TEST_PIVOT_ALLOW = "127.0.0.0/8"
"""The tests' pivot servers listen on loopback, which the pivot blacklist denies by
default: the tests allow it, in the settings of the processes they start and in this
process's own (saving a callflow checks ``voice_url`` with the process's settings)."""
os.environ.setdefault("KAZOO_PIVOT_ALLOW_NETWORKS", TEST_PIVOT_ALLOW)
TEST_STATE_HOME = Path(tempfile.mkdtemp(prefix="kazoo-tests-state-"))
"""The default data directory (``$XDG_STATE_HOME/kazoo-tasks``) of this process and of
every process a test starts: a test or CLI run that forgets its own data directory starts
its embedded Redis here, never in the user's home, and the session stops it at the end
and names it (``pytest_terminal_summary``)."""
os.environ["XDG_STATE_HOME"] = str(TEST_STATE_HOME)


@contextmanager
def own_namespace(data_dir: Path) -> Iterator[Settings]:
    """Settings of a namespace nobody else uses (real RabbitMQ + Redis, data in
    ``data_dir``); on the way out its cache listener is closed and it is dropped."""
    value = Settings(
        namespace=f"kt{uuid.uuid4().hex[:10]}",
        data_dir=data_dir,
        broker_url=TEST_BROKER_URL,
        redis_url=TEST_REDIS_URL,
        result_backend=TEST_REDIS_URL,
        freeswitch_nodes=(FreeswitchNode("fs1", "127.0.0.1", 8021, "ClueCon"),),
        hangup_grace=1,
        pivot_allow_networks=TEST_PIVOT_ALLOW,
        # no fixed metrics ports: tests run side by side (a test that scrapes picks some)
        ecallmgr_metrics_port=0,
        worker_metrics_port=0,
        changes_metrics_port=0,
    )
    try:
        yield value
    finally:
        close_namespace(value.namespace)  # the cache listener this test may have started
        drop_namespace(value)


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings for one test: real RabbitMQ + Redis, a namespace nobody else uses."""
    with own_namespace(tmp_path / "data") as value:
        yield value


COUCH_SERVER_RAN = pytest.StashKey[str]()


@pytest.fixture(scope="session")
def couchdb_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CouchServer]:
    """The session's CouchDB with an admin: a private real CouchDB when its release is on
    this machine, else pouchdb-server (tests/couchdb_server.py)."""
    server = start_test_couch(tmp_path_factory.mktemp("couchdb"))
    request.config.stash[COUCH_SERVER_RAN] = server.name
    yield server
    server.stop()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Say which CouchDB server the CouchDB tests ran against."""
    ran = config.stash.get(COUCH_SERVER_RAN, "none started (no test here needed it)")
    terminalreporter.write_line(f"CouchDB tests ran against: {ran}")
    default_dir = TEST_STATE_HOME / "kazoo-tasks"
    if answers_ping(redis.Redis(unix_socket_path=str(default_dir / SOCKET_NAME))):
        terminalreporter.write_line(
            f"an embedded Redis was left running in the default data directory {default_dir}"
            " (a test started it without a data directory of its own); stopped now"
        )
        stop_redis(default_dir)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the session's default data directory (see ``TEST_STATE_HOME``)."""
    shutil.rmtree(TEST_STATE_HOME, ignore_errors=True)


@pytest.fixture
def couchdb_url(couchdb_server: CouchServer) -> str:
    """The admin URL of the test CouchDB (``http://admin:secret@127.0.0.1:port``)."""
    return couchdb_server.admin_url


def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentStore]:
    """The document store of back end ``request.param`` ("embedded" or "couch"), closed
    afterwards (the body of every ``store`` fixture)."""
    if request.param == "embedded":
        value: DocumentStore = EmbeddedDocumentStore(tmp_path / "documents.sqlite3")
    else:
        from kazoo_tasks.docstore.couch import CouchDocumentStore

        value = CouchDocumentStore(request.getfixturevalue("couchdb_url"))
    yield value
    value.close()


@pytest.fixture(params=["embedded", "couch"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentStore]:
    """A document store of each back end: the embedded SQLite store, then CouchDB (the
    session's server). A test taking it runs once per back end."""
    yield from open_store(request, tmp_path)


@pytest.fixture
def fork_context() -> Iterator[multiprocessing.context.BaseContext]:
    """:mod:`multiprocessing`'s fork context, for tests that fork this process.

    A forked child runs kombu's after-fork reset, which closes every connection of kombu's
    process-wide pools, and those are the parent's connections too (same sockets): the
    parent's pooled connections are dead once a child has started. So, after the test,
    the parent drops its pools as well and the next test connects afresh."""
    yield multiprocessing.get_context("fork")
    kombu.pools.reset()


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[PrivateRabbitMQ]:
    """A RabbitMQ node of this test's own, to kill, freeze or restart."""
    with PrivateRabbitMQ(tmp_path / "rabbitmq") as broker:
        yield broker
