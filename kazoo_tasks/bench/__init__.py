"""``kazoo-tasks bench``: answer → play → hangup calls from the FreeSWITCH emulator through
the real pipeline (ecallmgr, broker, Redis, Celery workers), measured against Celery's own
floor on the same machine. docs/performance.md has the figures and how to read them."""

from kazoo_tasks.bench.cli import command

__all__ = ["command"]
