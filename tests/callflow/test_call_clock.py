"""KAZOO_CALL_CLOCK: a worker's calls run "as if it were" a given time (ctx.now()),
while the engine's own clock, which Redis and the other processes share, stays real."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from callflow.context import Environment, NodeContext, call_clock_from
from kazoo_tasks.config import Settings


class NoSink:
    """A context that sends nothing (these tests only read the clock)."""


def context(env: Environment) -> NodeContext:
    record = {"call_id": "c1", "account_id": "a" * 32, "node_state": {}}
    return NodeContext(record, {"module": "x"}, {}, "cf:", NoSink(), env)  # type: ignore[arg-type]


def test_given_a_call_clock_when_a_module_asks_the_time_then_it_is_that_time_frozen():
    settings = Settings(call_clock="2030-01-08T10:00:00-05:00")
    env = Environment(
        settings, documents=lambda: None, now=time.time, call_clock=call_clock_from(settings)
    )  # type: ignore[arg-type]

    first, second = context(env).now(), context(env).now()

    assert first == second == datetime(2030, 1, 8, 15, 0, tzinfo=UTC).timestamp()


def test_given_no_call_clock_when_a_module_asks_the_time_then_it_is_the_engines_clock():
    env = Environment(Settings(), documents=lambda: None, now=lambda: 1234.5)  # type: ignore[arg-type]

    assert call_clock_from(Settings()) is None
    assert context(env).now() == 1234.5


@pytest.mark.parametrize("value", ["2030-01-08T10:00:00", "next tuesday", "2030-13-01T00:00Z"])
def test_given_a_call_clock_without_offset_or_unreadable_then_it_is_refused(value):
    with pytest.raises(ValueError):
        call_clock_from(Settings(call_clock=value))
