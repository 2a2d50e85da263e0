"""Tools to run kazoo-tasks for real in tests and benchmarks: role processes and a whole
call pipeline around the FreeSWITCH emulator. Callflow authors can test their modules
with them (docs/callflows.md)."""

from kazoo_tasks.testing.modules import registered_modules, write_distribution
from kazoo_tasks.testing.namespace import drop_namespace
from kazoo_tasks.testing.processes import RoleProcess, wait_for_consumers, wait_for_workers
from kazoo_tasks.testing.stack import Stack

__all__ = [
    "RoleProcess",
    "Stack",
    "drop_namespace",
    "registered_modules",
    "wait_for_consumers",
    "wait_for_workers",
    "write_distribution",
]
