"""The agent state machine: the table (no Redis), then the agent's state in Redis."""

from __future__ import annotations

import threading

import pytest

from acdc.agent import (
    ANSWERED,
    LOGGED_OUT,
    PAUSED,
    READY,
    RINGING,
    WRAPUP,
    Agents,
    NotAllowed,
    due_member,
    next_state,
    sources,
)
from acdc.keys import due_key, events_key

ACCOUNT = "a" * 32


# -- the table --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "event", "facts", "target"),
    [
        (LOGGED_OUT, "login", {}, READY),
        (READY, "offer", {}, RINGING),
        (RINGING, "connect", {}, ANSWERED),
        (RINGING, "miss", {"misses": 1, "max_misses": 3}, READY),
        (RINGING, "miss", {"misses": 3, "max_misses": 3}, PAUSED),
        (RINGING, "release", {}, READY),
        (ANSWERED, "hangup", {"wrapup": 0}, READY),
        (ANSWERED, "hangup", {"wrapup": 30}, WRAPUP),
        (WRAPUP, "end_wrapup", {}, READY),
        (READY, "pause", {}, PAUSED),
        (PAUSED, "resume", {}, READY),
        (READY, "outbound_start", {}, "outbound"),
    ],
)
def test_given_a_state_when_an_event_comes_then_the_table_gives_kazoos_next_state(
    state, event, facts, target
):
    assert next_state(state, event, **facts) == target


@pytest.mark.parametrize(
    ("state", "event"),
    [(LOGGED_OUT, "offer"), (RINGING, "offer"), (ANSWERED, "pause"), (READY, "connect")],
)
def test_given_a_state_when_an_event_does_not_apply_then_it_is_refused(state, event):
    with pytest.raises(NotAllowed):
        next_state(state, event)


def test_only_a_ready_agent_can_be_offered_a_caller():
    assert sources("offer") == [READY]


# -- in Redis -----------------------------------------------------------------------------------


@pytest.fixture
def agents(client, settings, clock) -> Agents:
    return Agents(client, settings.namespace, ACCOUNT, clock)


def offered(agents: Agents, agent_id: str, offer: str) -> None:
    """Put the agent in ringing for ``offer`` as the distributor does."""
    agents.client.hset(agents.key(agent_id), mapping={"offer": offer})
    assert agents.apply(agent_id, "offer").ok


def test_given_an_agent_who_logs_in_when_called_and_answers_then_it_wraps_up_and_is_ready(
    agents, clock
):
    assert agents.apply("bob", "login").target == READY
    offered(agents, "bob", "o1")
    clock.advance(2)
    assert agents.apply("bob", "connect", offer="o1").target == ANSWERED
    clock.advance(60)
    hung = agents.apply("bob", "hangup", offer="o1", wrapup=10)
    assert hung.target == WRAPUP
    status = agents.status("bob")
    assert float(status["until"]) == clock.now + 10
    member = due_member("bob", int(status["version"]), "end_wrapup")
    assert agents.client.zscore(due_key(agents.namespace, ACCOUNT), member) == clock.now + 10
    clock.advance(10)
    assert agents.apply("bob", "end_wrapup", version=int(status["version"])).target == READY
    stats = agents.stats("bob")
    assert stats["handled"] == 1
    assert stats["seconds_ringing"] == 2 and stats["seconds_answered"] == 60
    assert stats["seconds_wrapup"] == 10


def test_given_an_agent_who_misses_three_calls_then_it_is_paused_with_the_reason_and_can_resume(
    agents,
):
    agents.apply("bob", "login")
    for n in range(3):
        offered(agents, "bob", f"o{n}")
        result = agents.apply("bob", "miss", offer=f"o{n}")
    assert result.target == PAUSED
    status = agents.status("bob")
    assert status["state"] == PAUSED and status["reason"] == "missed 3 calls in a row"
    assert agents.stats("bob")["missed"] == 3
    assert agents.apply("bob", "resume").target == READY
    assert "reason" not in agents.status("bob")
    offered(agents, "bob", "o9")  # the count starts again after the pause
    assert agents.apply("bob", "miss", offer="o9").target == READY


def test_given_a_late_event_about_an_offer_the_agent_no_longer_holds_then_nothing_changes(agents):
    agents.apply("bob", "login")
    offered(agents, "bob", "old")
    assert agents.apply("bob", "release", offer="old").ok
    offered(agents, "bob", "new")
    late = agents.apply("bob", "miss", offer="old")
    assert not late.ok and late.reason == "fenced"
    assert agents.status("bob")["state"] == RINGING and agents.status("bob")["offer"] == "new"


def test_given_a_timer_armed_at_an_older_version_when_it_fires_then_it_is_ignored(agents, clock):
    agents.apply("bob", "login")
    agents.apply("bob", "pause", timeout=30)
    armed = int(agents.status("bob")["version"])
    agents.apply("bob", "resume")
    agents.apply("bob", "pause", timeout=0)
    stale = agents.apply("bob", "pause_expired", version=armed)
    assert not stale.ok and agents.status("bob")["state"] == PAUSED


def test_given_an_agent_logging_out_while_ringing_then_the_logout_waits_for_the_call(agents):
    agents.apply("bob", "login")
    offered(agents, "bob", "o1")
    deferred = agents.apply("bob", "logout")
    assert deferred.ok and deferred.deferred and agents.status("bob")["state"] == RINGING
    assert agents.apply("bob", "release", offer="o1").target == LOGGED_OUT


def test_given_many_threads_racing_to_offer_one_ready_agent_then_exactly_one_wins(agents):
    agents.apply("bob", "login")
    wins: list[bool] = []
    barrier = threading.Barrier(8)

    def race() -> None:
        barrier.wait()
        wins.append(agents.apply("bob", "offer").ok)

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wins.count(True) == 1
    events = agents.client.xrange(events_key(agents.namespace, ACCOUNT))
    assert [e[1]["event"] for e in events] == ["login", "offer"]
