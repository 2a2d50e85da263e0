"""The whole pipeline for real: the FreeSWITCH emulator, an ecallmgr process, Celery
worker processes, RabbitMQ, Redis and the document store, with documents written through
the same services as the REST API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from api.app import create_app
from api.devices.resource import SPEC as DEVICES
from api.documents import DocumentService
from api.groups.resource import SPEC as GROUPS
from api.server import RunningServer, start_in_thread
from api.users.resource import SPEC as USERS
from callflow.live_calls import calls_with
from kazoo_tasks import services
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import ACCOUNTS_DB, DocumentStore, account_db
from kazoo_tasks.keys import call_key_pattern, registration_key
from kazoo_tasks.testing import Stack, TestAccount, ValidationFailed
from kazoo_tasks.testing.redis_cluster import RedisClusterNodes
from tests.waiting import wait_for

TONE = "tone_stream://%(200,0,440)"
SECOND_TONE = "tone_stream://%(100,0,660)"


def node(module: str, data: dict[str, Any] | None = None, then: Any = None) -> dict[str, Any]:
    """One callflow node, with its ``_`` child when ``then`` is given."""
    built: dict[str, Any] = {"module": module, "data": data or {}}
    if then is not None:
        built["children"] = {"_": then}
    return built


def assert_refused(account: TestAccount, number: str, flow: dict[str, Any], field: str) -> None:
    """Saving ``flow`` on ``number`` fails with an error on ``flow.data.<field>`` (or a
    key below it)."""
    with pytest.raises(ValidationFailed) as refused:
        account.callflow([number], flow)
    errors = refused.value.data
    assert any(key.startswith(f"flow.data.{field}") for key in errors), errors


Account = TestAccount
"""A test account and helpers to give it callflows (kazoo_tasks.testing)."""


@pytest.fixture
def store(settings: Settings) -> Iterator[DocumentStore]:
    """The document store the worker processes read (embedded, in the data dir)."""
    documents = services.document_store(settings)
    yield documents
    documents.close()


@pytest.fixture
def account(store: DocumentStore) -> Account:
    return Account(store, "E2E")


SWITCH_PASSWORD = "e2e-switch"
"""The switch's password for the API's ``/switch`` routes (the directory look-up)."""


@pytest.fixture
def api_server(stack: Stack, store: DocumentStore) -> Iterator[RunningServer]:
    """The REST API in this process over the stack's settings and store; the emulator
    looks phones up through its directory (so a phone's call carries its device's
    variables); logins are not rate-limited the way a public API's are."""
    settings = stack.settings.with_overrides(
        api_secret="e2e", switch_password=SWITCH_PASSWORD, api_auth_rate_limit="1000/minute"
    )
    running = start_in_thread(create_app(settings, store))
    host_port = running.url.removeprefix("http://")
    stack.emulator.directory_url = f"http://fs:{SWITCH_PASSWORD}@{host_port}/switch/directory"
    yield running
    running.stop()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[RedisClusterNodes]:
    """A Redis Cluster of this test's own (three masters, three replicas)."""
    with RedisClusterNodes(tmp_path / "redis") as started:
        yield started


def on_cluster(cluster: RedisClusterNodes) -> dict[str, str]:
    """The settings overrides that put a stack's state on ``cluster``."""
    return {"redis_url": cluster.url}


@pytest.fixture
def redis_client(settings: Settings) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.redis_url or "", decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def stack_factory(settings: Settings, tmp_path: Path) -> Iterator[Callable[..., Stack]]:
    """Start a Stack (stopped at teardown): ``overrides`` change settings, other keyword
    arguments go to :class:`Stack`."""
    started: list[Stack] = []

    def start(overrides: dict[str, Any] | None = None, **options: Any) -> Stack:
        stack_settings = settings.with_overrides(hangup_grace=1, **(overrides or {}))
        stack = Stack(stack_settings, tmp_path / "logs", **options)
        started.append(stack)
        return stack.start()

    yield start
    for stack in started:
        stack.stop()


@pytest.fixture
def stack(stack_factory: Callable[..., Stack]) -> Stack:
    """One ecallmgr and one worker process of two children, emulator at 50× speed."""
    return stack_factory()


def keys_of(client: redis.Redis, settings: Settings, call_id: str) -> list[str]:
    """Every Redis key of one call."""
    return list(client.scan_iter(call_key_pattern(settings.namespace, call_id), count=1000))


@pytest.fixture
def test_modules(tmp_path: Path) -> Iterator[list[Path]]:
    """The modules of ``tests/modules`` registered by entry point in this process; yields
    the ``python_path`` that makes worker processes find them too."""
    from kazoo_tasks.testing import registered_modules
    from tests.modules import ENTRY_POINTS, REPO_ROOT

    with registered_modules(tmp_path / "test-modules", ENTRY_POINTS) as directory:
        yield [directory, REPO_ROOT]


FLOOR_REALM = "floor.sip.example.net"
"""The realm of the ``floor`` fixture's account (its phones register there)."""


@pytest.fixture
def floor(stack, store, account, redis_client) -> dict[str, str]:
    """An agent with a registered phone that answers (its number is 2101), and a
    supervisor's phone: for the modules that act on another phone's call."""
    for db in (account_db(account.id), ACCOUNTS_DB):
        store.save(db, {**store.get(db, account.id), "realm": FLOOR_REALM})
    agent = DocumentService(store, USERS).create(
        account.id, {"first_name": "Agent", "last_name": "One"}
    )["_id"]
    devices = DocumentService(store, DEVICES)
    phone = devices.create(
        account.id, {"name": "agent", "owner_id": agent, "sip": {"username": "7101"}}
    )["_id"]
    chief = devices.create(account.id, {"name": "supervisor", "sip": {"username": "7102"}})["_id"]
    stack.emulator.register("7101", realm=FLOOR_REALM)
    stack.emulator.set_endpoint("sofia/*/7101@*", answer_after=0.2)
    key = registration_key(stack.settings.namespace, FLOOR_REALM, "7101")
    wait_for(lambda: redis_client.get(key), 15, "the agent's registration")
    account.callflow(["2101"], node("device", {"id": phone}))
    return {"agent": agent, "phone": phone, "chief": chief}


@pytest.fixture
def sales_floor(stack, store, account, floor) -> dict[str, str]:
    """The ``floor`` with a ringing call to pick up: its agent (the sales user) whose phone
    now never answers, the supervisor's phone (the colleague), a group of both, and 2201
    ringing the sales user (then a tone: the next node)."""
    stack.emulator.set_endpoint("sofia/*/7101@*", no_answer=True)
    members = {floor["phone"]: {"type": "device"}, floor["chief"]: {"type": "device"}}
    group = DocumentService(store, GROUPS).create(
        account.id, {"name": "sales", "endpoints": members}
    )["_id"]
    ring = node("user", {"id": floor["agent"], "timeout": 600})
    ring["children"] = {"_": node("play", {"id": TONE})}
    account.callflow(["2201"], ring)
    return {"sales": floor["agent"], "colleague": floor["chief"], "group": group}


def ringing_customer(stack, account):
    """A customer calling 2201 (``sales_floor``), and the sales phone's leg ringing."""
    customer = stack.emulator.place_call("2201", variables=account.variables)
    leg = customer.wait_for_leg(1, timeout=30)
    leg.wait_for_event("CHANNEL_PROGRESS", timeout=30)
    return customer, leg


def agent_on_the_call(stack, account, floor, redis_client) -> None:
    """Wait until the engine has applied the agent's answer (the switch's CHANNEL_BRIDGE
    can reach the test before a worker has handled it)."""
    found = lambda: calls_with(redis_client, stack.settings, account.id, {floor["phone"]}, "")  # noqa: E731
    wait_for(found, 15, "the engine seeing the agent on the call")


def from_phone(account, device_id: str) -> dict[str, str]:
    """The variables of a call placed from the account's phone ``device_id``."""
    return {
        **account.variables,
        "ecallmgr_Authorizing-ID": device_id,
        "ecallmgr_Authorizing-Type": "device",
    }
