"""pytest fixtures for testing callflow modules against the whole pipeline.

Load them from your package's ``tests/conftest.py``::

    pytest_plugins = ["kazoo_tasks.testing.pytest_plugin"]

``kazoo_stack`` runs the FreeSWITCH emulator (in the test process), an ``ecallmgr`` and a
worker process, on RabbitMQ and Redis at ``KAZOO_TEST_BROKER_URL`` / ``KAZOO_TEST_REDIS_URL``
(default: both on 127.0.0.1), in a namespace of its own that is deleted afterwards.
Modules installed in the environment (your package, ``pip install -e .``) are found by
the worker through their entry points. docs/callflows.md has a worked example.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kazoo_tasks import services
from kazoo_tasks.config import Settings
from kazoo_tasks.testing.account import TestAccount
from kazoo_tasks.testing.namespace import drop_namespace
from kazoo_tasks.testing.stack import Stack

DEFAULT_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def broker_for_tests() -> str:
    """The broker the tests use (``KAZOO_TEST_BROKER_URL``, default the local RabbitMQ)."""
    return os.environ.get("KAZOO_TEST_BROKER_URL", DEFAULT_BROKER_URL)


def redis_for_tests() -> str:
    """The Redis the tests use (``KAZOO_TEST_REDIS_URL``, default the local one)."""
    return os.environ.get("KAZOO_TEST_REDIS_URL", DEFAULT_REDIS_URL)


def pytest_configure(config: pytest.Config) -> None:
    """Point the process's default settings at the test services. pytest (and plugins such
    as pytest-celery's, whose module holds Celery tasks) may touch Celery's default app
    while collecting, which configures it from the environment: with no ``KAZOO_*`` URL
    that would start an embedded Redis in the user's data directory and leave it
    running after the tests."""
    os.environ.setdefault("KAZOO_BROKER_URL", broker_for_tests())
    os.environ.setdefault("KAZOO_REDIS_URL", redis_for_tests())


@pytest.fixture
def kazoo_settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings of one test: a fresh namespace, the test's own data directory (its
    embedded document store), CDRs kept one second after hangup."""
    redis_url = redis_for_tests()
    settings = Settings(
        namespace=f"kt{uuid.uuid4().hex[:10]}",
        data_dir=tmp_path / "kazoo-data",
        broker_url=broker_for_tests(),
        redis_url=redis_url,
        result_backend=redis_url,
        hangup_grace=1,
    )
    yield settings
    drop_namespace(settings)


@pytest.fixture
def kazoo_stack(kazoo_settings: Settings, tmp_path: Path) -> Iterator[Stack]:
    """The running pipeline: ``kazoo_stack.emulator.place_call(...)`` places a call (logs
    of the processes in ``<tmp_path>/kazoo-logs``)."""
    with Stack(kazoo_settings, tmp_path / "kazoo-logs") as stack:
        yield stack


@pytest.fixture
def kazoo_account(kazoo_settings: Settings) -> Iterator[TestAccount]:
    """A new account in the document store the worker processes read."""
    store = services.document_store(kazoo_settings)
    yield TestAccount(store, "Module test")
    store.close()
