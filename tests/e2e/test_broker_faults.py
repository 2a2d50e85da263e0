"""The broker dies under load: a private RabbitMQ node SIGKILLed (or stopped) mid-run.

Commands and event tasks are persistent messages on durable queues, published with
publisher confirms; consumers acknowledge after the effect. A ``kill -9`` of the broker
in the middle of 100 calls must lose no call, leave none stuck, and write no command twice
to the switch.
"""

from __future__ import annotations

import threading
import time

import pytest

from callflow.modules.conference import room_name
from kazoo_tasks.config import Settings
from kazoo_tasks.keys import node_key
from kazoo_tasks.testing.services import PrivateRabbitMQ
from kazoo_tasks.testing.stack import NODE_NAME
from tests.crossbar import Crossbar
from tests.e2e.conftest import TONE, node
from tests.e2e.test_conference import conference, joined, members
from tests.e2e.test_load import assert_every_call_ran_the_flow_once, place, three_level_flow
from tests.waiting import wait_for

pytestmark = pytest.mark.faults

CALLS = 100


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


FREEZE_FOR = 20.0
"""Seconds the broker stays frozen: longer than the heartbeat timeout (two heartbeats)."""
HEARTBEAT = 4
CONFIRM_TIMEOUT = 5.0


def test_given_100_calls_running_when_the_broker_freezes_longer_than_the_heartbeat_timeout_then_no_call_is_lost_or_doubled(  # noqa: E501
    broker_settings, private_broker, stack_factory, account, redis_client
):
    """SIGSTOP: the node's sockets stay open and nothing answers (a GC pause, a stalled VM).
    The clients give their connections up (heartbeats, publisher confirm timeout) and
    reconnect when the node answers again: what was not confirmed is published again,
    and deduplicated downstream."""
    expected = three_level_flow(account)
    overrides = {
        "broker_url": broker_settings.broker_url,
        "broker_heartbeat": HEARTBEAT,
        "broker_confirm_timeout": CONFIRM_TIMEOUT,
    }
    stack = stack_factory(overrides=overrides, workers=2)

    placing = place(stack, account, CALLS)
    time.sleep(0.4)  # calls are parking, routing and playing
    thawed = threading.Event()

    def freeze_and_thaw() -> None:
        private_broker.pause(FREEZE_FOR)
        thawed.set()

    frozen_at = time.perf_counter()
    threading.Thread(target=freeze_and_thaw, daemon=True).start()
    calls = placing.result(FREEZE_FOR + 120)
    wait_for(thawed.is_set, 60, "the broker thawed")

    assert_every_call_ran_the_flow_once(calls, expected)
    wait_for(lambda: all(account.cdr(call.uuid) for call in calls), 120, "every CDR")
    stats_key = node_key(stack.settings.namespace, NODE_NAME, "stats")
    skipped = int(float(redis_client.hget(stats_key, "commands.duplicate") or 0))
    last = max(call.hungup_at for call in calls)  # type: ignore[type-var]
    print(
        f"{len(calls)} calls; broker frozen {FREEZE_FOR:g} s (heartbeat {HEARTBEAT} s, "
        f"confirm timeout {CONFIRM_TIMEOUT:g} s); all ran their five commands once, "
        f"{skipped} delivered again and skipped; last hangup {last - frozen_at:.1f} s "
        f"after the freeze"
    )


@pytest.fixture
def stack(broker_settings, stack_factory):
    """The stack (and so ``api_server``) on the private broker, with short bounds (the
    broker is asked for first, so it stops after the stack)."""
    overrides = {
        "broker_url": broker_settings.broker_url,
        "broker_heartbeat": HEARTBEAT,
        "broker_confirm_timeout": CONFIRM_TIMEOUT,
    }
    return stack_factory(overrides=overrides)


FROZEN_FOR = 45.0
"""Seconds the broker stays frozen in the API test: longer than one bounded publish."""


def test_given_a_frozen_broker_when_an_admin_acts_on_a_room_then_the_api_answers_503_and_acts_again_once_it_is_back(  # noqa: E501
    stack, store, account, redis_client, api_server, private_broker
):
    """The conference action is published to the switch's command queue: with the broker
    frozen, the request gets a 503 (retry) once its publish gave up, not a hung thread."""
    room_id = conference(store, account, conference_numbers=["3100"])
    account.callflow(["3100"], node("conference", {"id": room_id, "moderator": False}))
    caller = stack.emulator.place_call("3100", variables=account.variables)
    joined(caller)
    members(redis_client, stack, room_name(account.id, room_id), 1)
    admin = Crossbar(api_server.url)
    admin.login(account.api_key)
    url = f"/accounts/{account.id}/conferences/{room_id}"
    play = {"action": "play", "data": {"media_id": TONE}}
    assert admin.put(url, play).status_code == 200  # the API's broker connection is open
    thawed = threading.Event()

    def freeze_and_thaw() -> None:
        private_broker.pause(FROZEN_FOR)
        thawed.set()

    threading.Thread(target=freeze_and_thaw, daemon=True).start()
    wait_for(lambda: not private_broker.responds(), 10, "the broker frozen")
    refused = admin.put(url, {"action": "lock"})

    assert refused.status_code == 503, refused.text
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["error"] == "503"
    wait_for(thawed.is_set, FROZEN_FOR + 10, "the broker thawed")
    locked = admin.put(url, {"action": "lock"})
    assert locked.status_code == 200, locked.text
    room = room_name(account.id, room_id)
    wait_for(
        lambda: f"{room} lock" in [c.args for c in caller.commands if c.kind == "api"],
        60,
        "the room locked on the switch",
    )
