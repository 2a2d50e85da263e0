"""Two hosts, one killed whole (docs/operations.md, "Several hosts").

Each host is a network namespace with its own FreeSWITCH (an emulator process), the
ecallmgr for that switch and a Celery worker; they share a private RabbitMQ node and a
private Redis in a third namespace, reached over a bridged LAN. Host B also runs the
deployment's beat. Host A dies whole (every process SIGKILLed, its namespace deleted)
while both switches carry calls: A's calls died with A's switch, so B's workers close
them NODE_DOWN with a CDR once ``KAZOO_NODE_DOWN_GRACE`` has passed; B's calls, before,
during and after the death, all run their flow: every command once, none lost."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from kazoo_tasks.config import Settings
from kazoo_tasks.testing.account import TestAccount
from kazoo_tasks.testing.hosts import Host
from kazoo_tasks.testing.netns import INFRA, Lan, inside
from kazoo_tasks.testing.processes import wait_for_workers
from kazoo_tasks.testing.services import PrivateRabbitMQ, PrivateRedis
from tests.e2e.conftest import node
from tests.waiting import wait_for

pytestmark = pytest.mark.faults

LONG_TONE = "tone_stream://%(60000,0,440)"
SHORT_TONE = "tone_stream://%(5000,0,440)"
A_CALLS = 20
B_CALLS = 60
KILL_AFTER = 20
"""Host A dies once this many of host B's calls are placed."""
PLACE_INTERVAL = 0.1
EXPECTED_B = [("execute", "answer", ""), ("execute", "playback", SHORT_TONE), ("hangup", "", "")]


@pytest.fixture
def hosts(settings: Settings, tmp_path: Path) -> Iterator[tuple[Lan, Host, Host]]:
    """The LAN, its private broker and Redis, host A, and host B (with beat)."""
    with ExitStack() as stack:
        lan = stack.enter_context(Lan(["a", "b"]))
        infra, address = lan.netns(INFRA), lan.address(INFRA)
        redis = PrivateRedis(tmp_path / "redis", host=address, port=6379, netns=infra)
        rabbit = PrivateRabbitMQ(tmp_path / "rabbit", host=address, port=5672, netns=infra)
        stack.enter_context(redis)
        stack.enter_context(rabbit)
        shared = settings.with_overrides(
            broker_url=rabbit.url,
            redis_url=redis.url,
            result_backend=redis.url,
            node_down_grace=2,
            reap_interval=0.5,
            esl_reconnect_max_delay=1.0,
        )
        log_dir = tmp_path / "logs"
        host_a = stack.enter_context(Host(lan, "a", shared, log_dir))
        host_b = stack.enter_context(Host(lan, "b", shared, log_dir, beat=True))
        with inside(infra):
            wait_for_workers(shared, 2, timeout=60)
        yield lan, host_a, host_b


def test_given_calls_on_two_hosts_when_one_host_dies_whole_then_its_calls_close_node_down_and_the_others_complete(  # noqa: E501
    hosts: tuple[Lan, Host, Host], account: TestAccount
) -> None:
    lan, host_a, host_b = hosts
    switch_a, switch_b = host_a.switch, host_b.switch
    assert switch_a is not None and switch_b is not None
    account.callflow(["8100"], node("answer", then=node("play", {"id": LONG_TONE})))
    account.callflow(
        ["8200"], node("answer", then=node("play", {"id": SHORT_TONE}, then=node("hangup")))
    )

    a_calls = [switch_a.place("8100", account.variables) for _ in range(A_CALLS)]
    for call_id in a_calls:
        wait_for(lambda c=call_id: switch_a.flow_commands(c)[1:2], 60, "host A's playback")

    b_calls: list[str] = []
    killed: list[int] = []
    for index in range(B_CALLS):
        if index == KILL_AFTER:
            killed = host_a.kill()
        b_calls.append(switch_b.place("8200", account.variables))
        time.sleep(PLACE_INTERVAL)

    a_cdrs = [wait_for(lambda c=c: account.cdr(c), 60, "host A's CDR") for c in a_calls]
    b_causes = [
        wait_for(lambda c=c: switch_b.call(c).hangup_cause, 60, "host B's hangup") for c in b_calls
    ]
    b_cdrs = [wait_for(lambda c=c: account.cdr(c), 60, "host B's CDR") for c in b_calls]

    assert len(killed) >= 3, killed  # its switch, ecallmgr, worker (and the pool)
    assert {cdr["hangup_cause"] for cdr in a_cdrs} == {"NODE_DOWN"}
    worker_b = (host_b.log_dir / "b-worker-0.log").read_text()
    assert all(call_id in worker_b for call_id in a_calls), "host B closed host A's calls"
    assert set(b_causes) == {"NORMAL_CLEARING"}
    assert {cdr["hangup_cause"] for cdr in b_cdrs} == {"NORMAL_CLEARING"}
    wrong = {c: switch_b.flow_commands(c) for c in b_calls}
    wrong = {c: got for c, got in wrong.items() if got != EXPECTED_B}
    assert not wrong, wrong
    print(
        f"host A killed ({len(killed)} processes) with {A_CALLS} calls up: "
        f"{len(a_cdrs)} closed NODE_DOWN with a CDR by host B; "
        f"host B: {len(b_calls)} calls ({KILL_AFTER} placed before the kill), "
        f"{sum(1 for c in b_causes if c == 'NORMAL_CLEARING')} completed, "
        f"{len(b_calls) * len(EXPECTED_B)} commands each received once"
    )
