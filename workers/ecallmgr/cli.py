"""``kazoo-tasks ecallmgr``: run the FreeSWITCH listener for every configured node."""

from gevent import monkey

monkey.patch_all()

# ruff: noqa: E402 (gevent must patch the standard library before anything else loads)
import gc
import logging
import signal

import click
import gevent

from kazoo_tasks import services
from kazoo_tasks.celery_app import make_app
from kazoo_tasks.config import get_settings
from kazoo_tasks.lease import owner_id
from kazoo_tasks.metrics import serve
from workers.ecallmgr.publisher import warm_up
from workers.ecallmgr.supervisor import NodeSupervisor

log = logging.getLogger(__name__)


@click.command()
@click.option(
    "--node",
    "only",
    multiple=True,
    help="Serve only this node name (repeatable); default: every KAZOO_FREESWITCH_NODES entry.",
)
def command(only: tuple[str, ...]) -> None:
    """One ESL connection per FreeSWITCH node: events in, call commands out."""
    settings = get_settings()
    nodes = [n for n in settings.freeswitch_nodes if not only or n.name in only]
    if not nodes:
        raise click.UsageError(f"no configured node named {', '.join(only)}")
    owner = owner_id()
    app = make_app(settings)
    client = services.redis_client(settings)
    supervisors = [NodeSupervisor(settings, node, owner, client, app) for node in nodes]
    warm_up(app)
    serve(
        settings.metrics_host,
        settings.ecallmgr_metrics_port,
        lambda: all(s.healthy() for s in supervisors),
    )
    gc.freeze()  # start-up objects never die: keep them out of the collector's scans
    log.info("ecallmgr %s serving %s", owner, ", ".join(n.name for n in nodes))

    def stop() -> None:
        log.info("ecallmgr %s stopping", owner)
        for supervisor in supervisors:
            supervisor.stop()

    for signum in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(signum, stop)
    greenlets = [gevent.spawn(s.run) for s in supervisors]
    for greenlet in greenlets:  # a crashed node stops the process: its manager restarts it
        greenlet.link_exception(lambda _: stop())
    gevent.joinall(greenlets)
    log.info("ecallmgr %s stopped", owner)
    if any(g.exception is not None for g in greenlets):
        raise SystemExit(1)
