"""The ``kazoo-tasks chaos`` command."""

from __future__ import annotations

import click

from kazoo_tasks.config import get_settings


@click.command()
@click.option("--calls", "-n", default=200, show_default=True, help="Calls to place.")
@click.option("--rate", default=20.0, show_default=True, help="Calls placed per second.")
@click.option("--play-ms", default=3000, show_default=True, help="Tone length (emulated ms).")
@click.option("--workers", default=2, show_default=True, help="Worker processes.")
@click.option(
    "--worker-concurrency", "-c", default=2, show_default=True, help="Pool size of each worker."
)
@click.option(
    "--time-scale", default=1.0, show_default=True, help="The emulator's clock (1: real time)."
)
@click.option("--esl-cut-for", default=5.0, show_default=True, help="Seconds the ESL link is cut.")
@click.option(
    "--drain-timeout", default=120.0, show_default=True, help="Seconds to wait for calls to end."
)
@click.option("--seed", default=7, show_default=True, help="Seed of the worker kills.")
@click.option("--keep", is_flag=True, help="Keep the run's folder (logs, server data).")
def command(**values: object) -> None:
    """Place calls through a three-level callflow while worker processes are SIGKILLed,
    the RabbitMQ node and Redis are killed and restarted and the ESL link is cut; print one
    JSON line of counts (progress goes to stderr).

    RabbitMQ and Redis are private servers the run starts on free ports (Debian's
    rabbitmq-server and a redis-server must be installed); documents go to an embedded
    store, or CouchDB when KAZOO_COUCHDB_URL is set. docs/reliability.md describes it.
    """
    from kazoo_tasks.bench.skeleton import to_line
    from kazoo_tasks.chaos.run import Options, run
    from kazoo_tasks.testing.processes import exit_cleanly_on_sigterm

    exit_cleanly_on_sigterm()  # its stack and private servers are stopped whatever ends it

    click.echo(to_line(run(get_settings(), Options(**values))))  # type: ignore[arg-type]
