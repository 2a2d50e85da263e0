"""``kazoo-tasks worker`` and ``kazoo-tasks bench`` take only the pools we run and measure:
a green pool is refused when the command line is read, with the choices, before a worker
starts (unpatched, a gevent worker started, then never answered a task)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kazoo_tasks.bench.cli import command as bench_command
from kazoo_tasks.celery_app import WORKER_POOLS
from workers.worker_cli import command as worker_command


@pytest.mark.parametrize("command", [worker_command, bench_command], ids=["worker", "bench"])
@pytest.mark.parametrize("pool", ["gevent", "eventlet"])
def test_given_a_green_pool_when_the_command_reads_it_then_it_refuses_it_with_the_choices(
    command, pool
):
    result = CliRunner().invoke(command, ["--pool", pool])

    assert result.exit_code == 2
    assert f"'{pool}' is not one of 'prefork', 'threads', 'solo'" in result.output


def test_given_the_worker_command_when_its_help_is_read_then_it_lists_the_pools():
    result = CliRunner().invoke(worker_command, ["--help"])

    assert result.exit_code == 0
    assert "[prefork|threads|solo]" in result.output
    assert WORKER_POOLS == ("prefork", "threads", "solo")
