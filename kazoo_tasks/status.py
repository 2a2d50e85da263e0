"""``kazoo-tasks status``: what runs, at a glance, and an exit code for health checks.

It reads what the roles publish (Redis: node heartbeats and leases, live calls,
registrations, the changes lease; RabbitMQ: queue depths and consumers) and pings the
Celery workers; it starts nothing. With nothing configured it looks at the embedded Redis
of the data directory, and finds it down rather than starting it.

The exit code is 1 when something is down: a node with no connected ecallmgr, fewer
workers answering than ``--workers``, no changes follower, or Redis / the broker
unreachable.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import click
import redis
from kombu import Connection
from kombu.exceptions import KombuError

from kazoo_tasks import services
from kazoo_tasks.bus import celery_queue_name, command_queue
from kazoo_tasks.callstate import ActiveCalls
from kazoo_tasks.celery_app import CELERY_ROLES
from kazoo_tasks.config import Settings, get_settings
from kazoo_tasks.embedded.redis_server import SOCKET_NAME
from kazoo_tasks.keys import changes_lease_key, node_key, registration_pattern

PING_TIMEOUT = 1.0
"""Seconds the workers have to answer the ping."""


@dataclass
class NodeStatus:
    """One FreeSWITCH node as the status sees it."""

    name: str
    connected_by: str | None
    """The ecallmgr whose heartbeat says it is connected (None: nobody is)."""
    lease_holder: str | None
    calls: int
    commands_queued: int | None


@dataclass
class QueueStatus:
    """One queue: messages waiting and consumers (None where the broker cannot say)."""

    name: str
    messages: int | None
    consumers: int | None


@dataclass
class Status:
    """Everything ``kazoo-tasks status`` reports."""

    nodes: list[NodeStatus] = field(default_factory=list)
    workers: list[str] = field(default_factory=list)
    workers_expected: int = 1
    queues: list[QueueStatus] = field(default_factory=list)
    calls_up: int = 0
    registrations: int = 0
    changes_holder: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether nothing is down."""
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        """The report as plain data (``--json``)."""
        return {"ok": self.ok, **asdict(self)}


class Down(Exception):
    """A service the status needs cannot be reached."""


def _embedded(settings: Settings) -> str:
    """The embedded Redis' URL if it runs (never started from here)."""
    socket_path = settings.data_dir / SOCKET_NAME
    if socket_path.exists():
        client = redis.Redis(unix_socket_path=str(socket_path), socket_connect_timeout=0.5)
        try:
            client.ping()
            return str(socket_path)
        except redis.RedisError:
            pass
        finally:
            client.close()
    raise Down(f"the embedded Redis of {settings.data_dir} is not running")


def _resolved(settings: Settings) -> Settings:
    """``settings`` with the embedded Redis' URLs filled in (when it runs)."""
    if settings.redis_url and settings.broker_url:
        return settings
    socket_path = _embedded(settings)
    return settings.with_overrides(
        redis_url=settings.redis_url or f"unix://{socket_path}",
        broker_url=settings.broker_url or f"redis+socket://{socket_path}",
        result_backend=settings.result_backend or f"redis+socket://{socket_path}",
    )


def _decoded(value: Any) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def _queue(conn: Connection, name: str) -> QueueStatus:
    try:
        _, messages, consumers = conn.default_channel.queue_declare(name, passive=True)
    except conn.channel_errors:  # not declared yet: nothing ever consumed it
        conn.close()
        conn.connect()
        return QueueStatus(name, None, None)
    return QueueStatus(name, messages, consumers)


def collect(settings: Settings, workers_expected: int = 1) -> Status:
    """Look at every part of the deployment ``settings`` describe."""
    status = Status(workers_expected=workers_expected)
    try:
        settings = _resolved(settings)
        client = services.new_redis_client(settings)
        client.ping()
    except (Down, redis.RedisError) as exc:
        status.problems.append(f"Redis: {exc}")
        return status
    ns = settings.namespace
    active = ActiveCalls(client, settings)
    queued: dict[str, QueueStatus] = {}
    conn = Connection(settings.broker_url, connect_timeout=3)
    try:
        with conn:
            conn.ensure_connection(max_retries=1)
            for role in CELERY_ROLES:
                status.queues.append(_queue(conn, celery_queue_name(ns, role)))
            for node in settings.freeswitch_nodes:
                queued[node.name] = _queue(conn, command_queue(ns, node.name).name)
                status.queues.append(queued[node.name])
    except (OSError, KombuError, *conn.connection_errors) as exc:
        status.problems.append(f"broker: {exc}")
    for node in settings.freeswitch_nodes:
        calls = len(active.calls(node.name))
        state = NodeStatus(
            node.name,
            _decoded(client.get(node_key(ns, node.name, "alive"))),
            _decoded(client.get(node_key(ns, node.name, "lease"))),
            calls,
            queued[node.name].messages if node.name in queued else None,
        )
        status.nodes.append(state)
        status.calls_up += calls
        if state.connected_by is None:
            status.problems.append(f"node {node.name}: no ecallmgr connected")
    status.registrations = sum(1 for _ in client.scan_iter(registration_pattern(ns), count=1000))
    status.changes_holder = _decoded(client.get(changes_lease_key(ns)))
    if status.changes_holder is None:
        status.problems.append("changes: no follower holds the lease")
    status.workers = _ping(settings)
    if len(status.workers) < workers_expected:
        status.problems.append(
            f"workers: {len(status.workers)} answered, {workers_expected} expected"
        )
    return status


def _ping(settings: Settings) -> list[str]:
    from kazoo_tasks.celery_app import make_app

    app = make_app(settings, name="status")
    try:
        with app.connection_for_write() as conn:
            replies = app.control.ping(timeout=PING_TIMEOUT, connection=conn)
    except OSError:
        return []
    finally:
        app.close()
    return sorted(name for reply in replies for name in reply)


def _table(status: Status) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    nodes = Table(title="FreeSWITCH nodes")
    for column in ("node", "ecallmgr connected", "lease holder", "calls", "commands queued"):
        nodes.add_column(column)
    for node in status.nodes:
        nodes.add_row(
            node.name,
            node.connected_by or "[red]none[/red]",
            node.lease_holder or "-",
            str(node.calls),
            "-" if node.commands_queued is None else str(node.commands_queued),
        )
    queues = Table(title="Queues")
    for column in ("queue", "messages", "consumers"):
        queues.add_column(column)
    for queue in status.queues:
        queues.add_row(
            queue.name,
            *("-" if v is None else str(v) for v in (queue.messages, queue.consumers)),
        )
    console.print(nodes, queues)
    console.print(
        f"workers answering: {len(status.workers)} (expected {status.workers_expected})"
        f"{': ' + ', '.join(status.workers) if status.workers else ''}"
    )
    console.print(f"calls up: {status.calls_up}   registrations: {status.registrations}")
    console.print(f"changes follower: {status.changes_holder or '[red]none[/red]'}")
    for problem in status.problems:
        console.print(f"[red]DOWN[/red] {problem}")
    console.print("[green]all up[/green]" if status.ok else "[red]something is down[/red]")


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option(
    "--workers",
    "workers_expected",
    type=int,
    default=1,
    show_default=True,
    help="How many Celery workers must answer the ping.",
)
def command(as_json: bool, workers_expected: int) -> None:
    """Say what runs and exit 1 when something is down (a health check).

    FreeSWITCH nodes (connected ecallmgr, lease holder, calls), workers (ping), queue
    depths, calls up, registrations and the changes follower."""
    status = collect(get_settings(), workers_expected)
    if as_json:
        click.echo(json.dumps(status.as_json()))
    else:
        _table(status)
    raise SystemExit(0 if status.ok else 1)
