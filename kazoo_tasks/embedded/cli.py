"""``kazoo-tasks embedded``: keep the embedded services of the data directory running."""

from __future__ import annotations

import signal
import threading

import click

from kazoo_tasks.config import get_settings
from kazoo_tasks.embedded.redis_server import ensure_redis, stop_redis, wait_for_clients_to_leave

CLIENTS_GRACE = 3.0
"""Seconds the Redis outlives a stop signal while other processes are still connected:
the roles stopped beside it (``kazoo-tasks run`` stops every role at once) release their
leases first. Under honcho's 5 s before it kills."""


@click.command()
def command() -> None:
    """Run the embedded Redis (broker + state) until stopped; no-op when KAZOO_REDIS_URL
    and KAZOO_BROKER_URL point at real servers."""
    settings = get_settings()
    if settings.redis_url and settings.broker_url:
        click.echo("Redis and the broker are configured; no embedded service to run.")
        return
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    socket_path = ensure_redis(settings.data_dir)
    click.echo(f"embedded redis (broker, call state, caches) on unix socket {socket_path}")
    stopped.wait()
    left = wait_for_clients_to_leave(settings.data_dir, CLIENTS_GRACE)
    if left:
        click.echo(f"stopping with {left} client(s) still connected")
    stop_redis(settings.data_dir)
    click.echo("embedded redis stopped")
