"""The ``kazoo-tasks`` command. Each subcommand lives in the module of the part it runs and
is imported only when invoked (``COMMANDS`` maps names to ``module:attribute``); the list
``--help`` prints comes from ``SUMMARIES``, so it imports (and patches) nothing.

Invoking a role is also where its process is set up before its modules load: the
metrics directory (:mod:`kazoo_tasks.metrics_dir`)."""

from __future__ import annotations

import importlib

import click

from kazoo_tasks import metrics_dir
from kazoo_tasks.config import get_settings

COMMANDS: dict[str, str] = {
    "embedded": "kazoo_tasks.embedded.cli:command",
    "worker": "workers.worker_cli:command",
    "beat": "workers.worker_cli:beat",
    "api": "api.cli:command",
    "changes": "workers.changes:command",
    "seed": "kazoo_tasks.seed:command",
    "run": "kazoo_tasks.local:command",
    "emulator": "kazoo_tasks.esl.emulator.cli:emulator",
    "ecallmgr": "workers.ecallmgr.cli:command",
    "bench": "kazoo_tasks.bench:command",
    "chaos": "kazoo_tasks.chaos.cli:command",
    "status": "kazoo_tasks.status:command",
    "cluster": "kazoo_tasks.testing.cluster_cli:command",
}

SUMMARIES: dict[str, str] = {
    "embedded": "Run the embedded Redis (broker + state) until stopped; no-op when "
    "KAZOO_REDIS_URL and KAZOO_BROKER_URL point at real servers.",
    "worker": "Run a Celery worker for the call pipeline.",
    "beat": "Run Celery beat (the reaper's schedule); run exactly one per deployment.",
    "api": "Serve the REST API (/v2) and its Swagger UI (/v2/docs).",
    "changes": "Follow every database's change feed and publish doc-change notifications.",
    "seed": "Load sample data.",
    "run": "Run every role locally (embedded defaults, the FreeSWITCH emulator, a demo account).",
    "emulator": "The FreeSWITCH emulator: serve it, place scripted calls, register devices.",
    "ecallmgr": "One ESL connection per FreeSWITCH node: events in, call commands out.",
    "bench": "Place calls (answer, play, hang up) from the FreeSWITCH emulator through the "
    "real pipeline; print one JSON line (progress goes to stderr).",
    "chaos": "Place calls through a three-level callflow while worker processes are "
    "SIGKILLed, the RabbitMQ node and Redis are killed and restarted and the ESL link is "
    "cut; print one JSON line of counts (progress goes to stderr).",
    "status": "Say what runs and exit 1 when something is down (a health check).",
    "cluster": "Start and stop local service clusters (docs/operations.md, "
    '"The data services in clusters").',
}
"""What ``kazoo-tasks --help`` says of each command (a test keeps them true)."""


def load_command(name: str) -> click.Command:
    """Import subcommand ``name`` (a key of :data:`COMMANDS`)."""
    module_name, attribute = COMMANDS[name].split(":")
    command: click.Command = getattr(importlib.import_module(module_name), attribute)
    return command


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            if not ctx.resilient_parsing:
                metrics_dir.prepare(name, get_settings())
            return load_command(name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SUMMARIES.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup)
def main() -> None:
    """kazoo-tasks: FreeSWITCH does the media, kazoo-tasks decides what each call does."""
    from kazoo_tasks import logs

    logs.configure(get_settings())
