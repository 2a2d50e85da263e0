"""The ``kazoo-tasks`` command. Each subcommand lives in the module of the part it runs and
is imported only when invoked (``COMMANDS`` maps names to ``module:attribute``)."""

from __future__ import annotations

import importlib
import logging

import click

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
    "cluster": "kazoo_tasks.testing.cluster_cli:command",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            module_name, attribute = COMMANDS[name].split(":")
            return getattr(importlib.import_module(module_name), attribute)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup)
def main() -> None:
    """kazoo-tasks: FreeSWITCH does the media, kazoo-tasks decides what each call does."""
    logging.basicConfig(
        level=get_settings().log_level,
        format="%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s",
    )
