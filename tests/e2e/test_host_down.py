"""Two hosts, one killed whole (docs/operations.md, "Several hosts, and a host that dies").

Each host is a network namespace with its own FreeSWITCH (an emulator process), an
ecallmgr and a Celery worker; they share a private RabbitMQ node and a private Redis in
a third namespace, reached over a bridged LAN. Host B also runs the deployment's beat.
Host A dies whole (every process SIGKILLed, its namespace deleted) while both switches
carry calls: A's calls died with A's switch, so B's workers close them NODE_DOWN with a
CDR once ``KAZOO_NODE_DOWN_GRACE`` has passed; B's calls, placed before, during and
after the death, all run their flow: every command once, none lost. Whether B's switch
was served by B's ecallmgr all along or by A's (which B's then takes over) is the
difference between the two tests; after the takeover too, every call of B runs its
flow's commands once and gets a CDR."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

from kazoo_tasks.config import Settings
from kazoo_tasks.testing.account import TestAccount
from kazoo_tasks.testing.hosts import Host, WatchedCall, switch_node
from kazoo_tasks.testing.netns import INFRA, Lan, inside
from kazoo_tasks.testing.processes import wait_for_workers
from kazoo_tasks.testing.services import PrivateRabbitMQ, PrivateRedis
from tests.e2e.conftest import node
from tests.waiting import wait_for
from workers.ecallmgr.reconcile import VANISHED_CAUSE

pytestmark = pytest.mark.faults

LONG_TONE = "tone_stream://%(60000,0,440)"
SHORT_TONE = "tone_stream://%(5000,0,440)"
A_CALLS = 20
B_CALLS = 60
KILL_AFTER = 20
"""Host A dies once this many of host B's calls are placed."""
PLACE_INTERVAL = 0.1
T = TypeVar("T")
EXPECTED_B = [("execute", "answer", ""), ("execute", "playback", SHORT_TONE), ("hangup", "", "")]


@pytest.fixture
def lan(settings: Settings, tmp_path: Path) -> Iterator[tuple[Lan, Settings]]:
    """Hosts ``a`` and ``b`` on a LAN, and the settings every process of theirs gets: a
    private RabbitMQ node and Redis in the LAN's ``infra`` namespace, a short node-down
    grace and reap interval."""
    with Lan(["a", "b"]) as made:
        infra, address = made.netns(INFRA), made.address(INFRA)
        with (
            PrivateRedis(tmp_path / "redis", host=address, port=6379, netns=infra) as redis,
            PrivateRabbitMQ(tmp_path / "rabbit", host=address, port=5672, netns=infra) as rabbit,
        ):
            yield (
                made,
                settings.with_overrides(
                    broker_url=rabbit.url,
                    redis_url=redis.url,
                    result_backend=redis.url,
                    node_down_grace=2,
                    reap_interval=0.5,
                    esl_reconnect_max_delay=1.0,
                    esl_lease_ttl=1.0,
                ),
            )


@dataclass
class Outcome:
    """What became of the calls of both hosts once host A was killed."""

    a_cdrs: dict[str, dict]
    b_causes: dict[str, str]
    b_cdrs: dict[str, dict]
    b_watched: dict[str, WatchedCall]
    killed: list[int]
    a_closed_after: float
    """Seconds from the kill until the last of A's calls had its CDR."""


def collect(calls: list[str], look: Callable[[str], T | None], timeout: float) -> dict[str, T]:
    """What ``look`` finds for each call within ``timeout`` seconds (in all): the calls
    it found nothing for are missing, for the assertions to name."""
    found: dict[str, T] = {}

    def complete() -> bool:
        for call_id in calls:
            if call_id not in found and (value := look(call_id)):
                found[call_id] = value
        return len(found) == len(calls)

    try:
        wait_for(complete, timeout)
    except AssertionError:
        pass
    return found


def kill_host_a_under_calls(host_a: Host, host_b: Host, account: TestAccount) -> Outcome:
    """Put ``A_CALLS`` long calls up on A's switch, then place ``B_CALLS`` short ones on
    B's, killing A once ``KILL_AFTER`` are placed; wait for every end and CDR."""
    switch_a, switch_b = host_a.switch, host_b.switch
    assert switch_a is not None and switch_b is not None
    account.callflow(["8100"], node("answer", then=node("play", {"id": LONG_TONE})))
    account.callflow(
        ["8200"], node("answer", then=node("play", {"id": SHORT_TONE}, then=node("hangup")))
    )
    a_calls = [switch_a.place("8100", account.variables) for _ in range(A_CALLS)]
    for call_id in a_calls:
        wait_for(lambda c=call_id: switch_a.call(c).flow_commands()[1:2], 60, "host A's playback")

    b_calls: list[str] = []
    killed: list[int] = []
    killed_at = 0.0
    for index in range(B_CALLS):
        if index == KILL_AFTER:
            killed, killed_at = host_a.kill(), time.monotonic()
        b_calls.append(switch_b.place("8200", account.variables))
        time.sleep(PLACE_INTERVAL)

    a_cdrs = collect(a_calls, account.cdr, 60)
    a_closed_after = time.monotonic() - killed_at
    b_causes = collect(b_calls, lambda c: switch_b.call(c).hangup_cause, 60)
    return Outcome(
        a_cdrs=a_cdrs,
        b_causes=b_causes,
        b_cdrs=collect(b_calls, account.cdr, 30),
        b_watched={c: switch_b.call(c) for c in b_calls},
        killed=killed,
        a_closed_after=a_closed_after,
    )


def assert_a_closed_and_b_ended(outcome: Outcome, host_b: Host) -> None:
    """A's calls closed NODE_DOWN by B's worker; B's calls that hung up did so normally,
    the CDRs written say ``NORMAL_CLEARING`` (or the re-sync's ``NETWORK_OUT_OF_ORDER``
    when the hangup fell in a takeover's gap: FreeSWITCH does not replay the event,
    ecallmgr.md), and the switch received no command id twice."""
    assert len(outcome.killed) >= 3, outcome.killed  # switch, ecallmgr, worker (+ pool)
    assert len(outcome.a_cdrs) == A_CALLS, "every call of host A has a CDR"
    assert {cdr["hangup_cause"] for cdr in outcome.a_cdrs.values()} == {"NODE_DOWN"}
    worker_b = (host_b.log_dir / "b-worker-0.log").read_text()
    assert all(call_id in worker_b for call_id in outcome.a_cdrs), "closed by B's worker"
    watched = outcome.b_watched
    assert set(outcome.b_causes.values()) <= {"NORMAL_CLEARING"}
    causes = {cdr["hangup_cause"] for cdr in outcome.b_cdrs.values()}
    assert causes <= {"NORMAL_CLEARING", VANISHED_CAUSE}, causes
    for call_id, call in watched.items():
        ids = [c.event_uuid for c in call.commands if c.event_uuid]
        assert len(ids) == len(set(ids)), f"a command written twice: {call_id} {call.commands}"


def flows_not_run_once(outcome: Outcome) -> list[str]:
    """B's calls whose switch did not receive exactly the flow's commands, once each."""
    return [
        f"{call_id}: {call.commands}"
        for call_id, call in outcome.b_watched.items()
        if call.flow_commands() != EXPECTED_B
    ]


def not_ended_right(outcome: Outcome) -> list[str]:
    """B's calls still up, without a CDR, or that did not run their flow's commands once
    each: what went wrong with each."""
    watched, cdrs = outcome.b_watched, outcome.b_cdrs
    up = [f"{c}: still up, {w.commands}" for c, w in watched.items() if w.hangup_cause is None]
    no_cdr = [f"{c}: no CDR, {w.commands}" for c, w in watched.items() if c not in cdrs]
    return [*up, *no_cdr, *flows_not_run_once(outcome)]


def report(outcome: Outcome, how: str) -> str:
    """The test's one line of counts."""
    return (
        f"{how}: host A killed ({len(outcome.killed)} processes) with {A_CALLS} calls up: "
        f"{len(outcome.a_cdrs)} closed NODE_DOWN with a CDR by host B "
        f"{outcome.a_closed_after:.1f} s after the kill; host B: "
        f"{len(outcome.b_watched)} calls ({KILL_AFTER} placed before the kill): "
        f"{len(outcome.b_causes)} hung up NORMAL_CLEARING, {len(outcome.b_cdrs)} CDRs "
        f"({sum(cdr['hangup_cause'] == VANISHED_CAUSE for cdr in outcome.b_cdrs.values())} "
        f"{VANISHED_CAUSE}: ended in the takeover's gap), "
        f"{len(outcome.b_watched) - len(flows_not_run_once(outcome))} ran exactly their "
        f"flow's {len(EXPECTED_B)} commands once; "
        f"{sum(w.probed for w in outcome.b_watched.values())} probed by a takeover"
    )


def test_given_each_host_serving_its_own_switch_when_host_a_dies_whole_then_its_calls_close_node_down_and_host_b_calls_complete(  # noqa: E501
    lan: tuple[Lan, Settings], account: TestAccount, tmp_path: Path
) -> None:
    made, shared = lan
    log_dir = tmp_path / "logs"
    with (
        Host(made, "a", shared, log_dir) as host_a,
        Host(made, "b", shared, log_dir, beat=True) as host_b,
    ):
        with inside(made.netns(INFRA)):
            wait_for_workers(shared, 2, timeout=60)
        outcome = kill_host_a_under_calls(host_a, host_b, account)
    assert_a_closed_and_b_ended(outcome, host_b)
    wrong = not_ended_right(outcome)
    assert not wrong, "\n".join(["still up, no CDR, or not the flow's commands once:", *wrong])
    print(report(outcome, "own switches"))


def test_given_host_a_active_for_both_switches_when_it_dies_whole_then_host_b_takes_its_own_switch_over(  # noqa: E501
    lan: tuple[Lan, Settings], account: TestAccount, tmp_path: Path
) -> None:
    made, shared = lan
    log_dir = tmp_path / "logs"
    node_a, node_b = switch_node(made, "a"), switch_node(made, "b")
    # A starts first, so its ecallmgr takes both leases; B's stands by for both
    with (
        Host(made, "a", shared, log_dir, also_serves=[node_b]) as host_a,
        Host(made, "b", shared, log_dir, beat=True, also_serves=[node_a]) as host_b,
    ):
        host_a.wait_ecallmgr(f"node {node_b.name}: connected to")
        with inside(made.netns(INFRA)):
            wait_for_workers(shared, 2, timeout=60)
        outcome = kill_host_a_under_calls(host_a, host_b, account)
        ecallmgr_b = host_b.ecallmgr.log() if host_b.ecallmgr else ""
    assert f"node {node_b.name}: standby" in ecallmgr_b
    assert f"node {node_b.name}: lease acquired" in ecallmgr_b
    assert_a_closed_and_b_ended(outcome, host_b)
    print(report(outcome, "host A active for both switches"))
    # This was an xfail while known takeover defects made one call in 60 go wrong in most
    # runs (docs/operations.md "Several hosts"): a claimed command never written (fixed:
    # the switch's written mark), a call answered again (fixed: Answer-State), a hangup of
    # unknown outcome (fixed: written again), and a call without a CDR, never explained,
    # not seen since the test LAN's bridge keeps its address (it changed under host B when
    # A's port went, stalling B's connections). 22 runs in a row were clean (2026-12-07).
    wrong = not_ended_right(outcome)
    assert not wrong, "\n".join(["takeover after a whole-host death:", *wrong])
