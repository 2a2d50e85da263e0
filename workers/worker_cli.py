"""``kazoo-tasks worker`` and ``kazoo-tasks beat``: Celery for our app with sane defaults.

The worker runs the prefork pool (short CPU-light tasks: prefork beats gevent on our
measurements, see docs/celery.md), serves the queues of the roles it is given, takes a
node name unique on its host (``<namespace>-<pid>@host``: two workers on one host must
not share a remote-control queue), skips gossip/mingle (cluster chatter the call
workload does not use) and keeps Celery's per-task log lines for DEBUG. Extra arguments
after ``--`` go to Celery unchanged.
"""

from __future__ import annotations

import gc
import logging
import os

import click
from celery import signals

import workers.worker_metrics  # noqa: F401 (its signal handlers count tasks, serve /metrics)
from callflow.context import call_clock_from
from kazoo_tasks.bus import celery_queue_name
from kazoo_tasks.celery_app import CELERY_ROLES, WORKER_POOLS
from kazoo_tasks.config import get_settings

PER_TASK_LOGGERS = ("celery.worker.strategy", "celery.app.trace")
"""Celery's two INFO lines per task ("received", "succeeded"): at a call's five tasks they
cost about 5% of a worker's CPU and bury everything else in the log. They are shown at
KAZOO_LOG_LEVEL=DEBUG; failures are logged at ERROR whatever the level."""


@signals.worker_ready.connect
@signals.worker_process_init.connect
def _freeze_startup_objects(**_: object) -> None:
    """Keep what start-up built (Celery, kombu, the app, imported modules) out of the
    garbage collector's scans: a full collection of it paused the prefork parent (which
    dispatches every task) for up to 43 ms. Runs in the parent once it is ready and in
    each pool process after its fork."""
    gc.freeze()


def _roles(value: str) -> list[str]:
    roles = [r.strip() for r in value.split(",") if r.strip()]
    unknown = sorted(set(roles) - set(CELERY_ROLES))
    if unknown or not roles:
        raise click.BadParameter(f"roles are among {', '.join(CELERY_ROLES)}; got {value!r}")
    return roles


@click.command(context_settings={"ignore_unknown_options": True})
@click.option(
    "--roles",
    default=",".join(CELERY_ROLES),
    show_default=True,
    help="Comma-separated roles (queues) this worker serves.",
)
@click.option("--concurrency", "-c", type=int, default=None, help="Pool size (default: CPU count).")
@click.option("--pool", "-P", type=click.Choice(WORKER_POOLS), default="prefork", show_default=True)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def command(roles: str, concurrency: int | None, pool: str, celery_args: tuple[str, ...]) -> None:
    """Run a Celery worker for the call pipeline."""
    from kazoo_tasks.celery_app import app

    settings = get_settings()
    try:
        if call_clock_from(settings):
            logging.getLogger(__name__).warning(
                "KAZOO_CALL_CLOCK is set: every call runs as if it were %s", settings.call_clock
            )
    except ValueError as bad:
        raise click.BadParameter(str(bad), param_hint="KAZOO_CALL_CLOCK") from bad
    if settings.log_level != "DEBUG":
        for name in PER_TASK_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
    queues = ",".join(celery_queue_name(settings.namespace, role) for role in _roles(roles))
    argv = [
        "worker",
        f"--pool={pool}",
        f"--concurrency={concurrency or os.cpu_count() or 2}",
        f"--queues={queues}",
        f"--loglevel={settings.log_level}",
        f"--hostname={settings.namespace}-{os.getpid()}@%h",
        "--without-gossip",
        "--without-mingle",
        *celery_args,
    ]
    app.worker_main(argv)


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def beat(celery_args: tuple[str, ...]) -> None:
    """Run Celery beat (the reaper's schedule); run exactly one per deployment."""
    from kazoo_tasks.celery_app import app

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    schedule = settings.data_dir / "celerybeat-schedule"
    app.start(["beat", f"--schedule={schedule}", f"--loglevel={settings.log_level}", *celery_args])
