"""Tools to run kazoo-tasks for real in tests and benchmarks: role processes and a whole
call pipeline around the FreeSWITCH emulator. Callflow authors test their modules with
them (docs/callflows.md): :class:`Stack`, :class:`TestAccount`, :func:`node`, the pytest
fixtures of :mod:`kazoo_tasks.testing.pytest_plugin`, and :func:`registered_modules` for
modules that are not installed."""

from api.errors import ValidationFailed
from kazoo_tasks.testing.account import TestAccount, node
from kazoo_tasks.testing.modules import registered_modules, write_distribution
from kazoo_tasks.testing.namespace import drop_namespace
from kazoo_tasks.testing.processes import RoleProcess, wait_for_consumers, wait_for_workers
from kazoo_tasks.testing.stack import Stack

__all__ = [
    "RoleProcess",
    "Stack",
    "TestAccount",
    "ValidationFailed",
    "drop_namespace",
    "node",
    "registered_modules",
    "wait_for_consumers",
    "wait_for_workers",
    "write_distribution",
]
