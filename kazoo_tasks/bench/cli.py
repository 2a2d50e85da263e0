"""The ``kazoo-tasks bench`` command."""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from kazoo_tasks.celery_app import WORKER_POOLS
from kazoo_tasks.config import get_settings

SCENARIOS = {"acdc": "acdc.bench:command"}
"""Other benchmarks, ``kazoo-tasks bench <name>`` (imported on first use)."""


class BenchGroup(click.Group):
    """``bench`` runs the call benchmark; ``bench <name>`` another one."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SCENARIOS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in SCENARIOS:
            return None
        module, _, attribute = SCENARIOS[name].partition(":")
        return getattr(importlib.import_module(module), attribute)


@click.group(cls=BenchGroup, invoke_without_command=True)
@click.option("--calls", "-n", default=1000, show_default=True, help="Calls to measure.")
@click.option("--rate", default=150.0, show_default=True, help="Calls placed per second.")
@click.option(
    "--concurrency", default=200, show_default=True, help="Most calls up at once (a cap)."
)
@click.option("--workers", default=1, show_default=True, help="Worker processes (prefork).")
@click.option(
    "--worker-concurrency", "-c", default=2, show_default=True, help="Pool size of each worker."
)
@click.option(
    "--pool",
    type=click.Choice(WORKER_POOLS),
    default="prefork",
    show_default=True,
    help="Celery pool of the workers.",
)
@click.option(
    "--time-scale",
    default=0.05,
    show_default=True,
    help="The emulator's clock: 0.05 plays the 2 s tone in 100 ms.",
)
@click.option("--play-ms", default=2000, show_default=True, help="Tone length (emulated ms).")
@click.option("--warm-up", default=20, show_default=True, help="Unmeasured calls first.")
@click.option("--floor-samples", default=200, show_default=True, help="Celery ping round trips.")
@click.option(
    "--drain-timeout",
    default=60.0,
    show_default=True,
    help="Seconds to wait for calls still up after the last was placed.",
)
@click.option(
    "--stages", is_flag=True, help="Add a per-stage breakdown of setup (stamps every process)."
)
@click.option("--keep", is_flag=True, help="Keep the data directory (logs) of the run.")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write a PNG of the setup-latency distribution there (needs matplotlib).",
)
@click.option(
    "--metrics-plot",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Scrape the roles' /metrics during the run and write the dashboard's main panels "
    "there as a PNG (needs matplotlib).",
)
@click.option(
    "--hooks-url",
    metavar="URL",
    help="Add account webhooks (channel_create, channel_answer, channel_destroy) posting "
    "every call's events there, delivered by a webhooks worker of their own. The URL guard "
    "applies: a receiver on loopback or a private network needs KAZOO_PIVOT_ALLOW_NETWORKS "
    "(e.g. 127.0.0.0/8).",
)
@click.pass_context
def command(ctx: click.Context, **values: object) -> None:
    """Place calls (answer, play, hang up) from the FreeSWITCH emulator through the real
    pipeline; print one JSON line (progress goes to stderr). ``bench acdc``: callers into
    a call-center queue instead (``kazoo-tasks bench acdc --help``).

    Services come from KAZOO_* (embedded Redis when unset); each run uses a namespace and a
    data directory of its own and removes them at the end.
    """
    from kazoo_tasks.testing.processes import exit_cleanly_on_sigterm

    exit_cleanly_on_sigterm()  # the stack's processes are stopped whatever ends the run
    if ctx.invoked_subcommand is not None:
        return
    from kazoo_tasks.bench.plot import require_matplotlib
    from kazoo_tasks.bench.run import Options, run
    from kazoo_tasks.bench.skeleton import to_line

    if values["plot"] is not None or values["metrics_plot"] is not None:
        try:
            require_matplotlib()
        except ImportError as error:
            raise click.UsageError(str(error)) from error
    click.echo(to_line(run(get_settings(), Options(**values))))  # type: ignore[arg-type]
