"""The broker dies under load: a private RabbitMQ node SIGKILLed (or stopped) mid-run.

Commands and event tasks are persistent messages on durable queues, published with
publisher confirms; consumers acknowledge after the effect. A ``kill -9`` of the broker
in the middle of 100 calls must lose no call, leave none stuck, and write no command twice
to the switch.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kazoo_tasks.config import Settings
from kazoo_tasks.testing.services import PrivateRabbitMQ
from tests.e2e.test_load import assert_every_call_ran_the_flow_once, place, three_level_flow
from tests.waiting import wait_for

pytestmark = pytest.mark.faults

CALLS = 100


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[PrivateRabbitMQ]:
    with PrivateRabbitMQ(tmp_path / "rabbitmq") as broker:
        yield broker


@pytest.fixture
def broker_settings(settings: Settings, private_broker: PrivateRabbitMQ) -> Settings:
    return settings.with_overrides(broker_url=private_broker.url)


def test_given_100_calls_running_when_the_broker_is_killed_and_restarted_then_no_call_is_lost_or_doubled(  # noqa: E501
    broker_settings, private_broker, stack_factory, account
):
    expected = three_level_flow(account)
    stack = stack_factory(overrides={"broker_url": broker_settings.broker_url}, workers=2)

    placing = place(stack, account, CALLS)
    time.sleep(0.4)  # calls are parking, routing and playing
    killed = threading.Event()

    def kill_and_restart() -> None:
        private_broker.restart()  # SIGKILL, then the same node on the same data
        killed.set()

    threading.Thread(target=kill_and_restart, daemon=True).start()
    calls = placing.result(120)
    wait_for(killed.is_set, 60, "the broker back")

    assert_every_call_ran_the_flow_once(calls, expected)
    wait_for(lambda: all(account.cdr(call.uuid) for call in calls), 120, "every CDR")
