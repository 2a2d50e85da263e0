"""Queues and distribution against Redis: strategies, one winner, lost offers, leases."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from acdc.agent import ANSWERED, LOGGED_OUT, PAUSED, READY, RINGING
from acdc.audit import double_bookings, read_events
from acdc.distributor import CONNECTED, FAILED, NO_RECORD_GRACE, Distributor, Offer
from acdc.queue import ALREADY, EMPTY, ENTERED, FULL, QueueConfig, Queues

ACCOUNT = "b" * 32


class Center:
    """One account's queues with a distributor whose deliveries are kept."""

    def __init__(self, client, settings, clock) -> None:
        self.queues = Queues(client, settings.namespace, ACCOUNT, clock)
        self.delivered: list[dict] = []
        self.distributor = Distributor(self.queues, self.delivered.extend, grace=5)
        self.clock = clock

    def agents(self, config: QueueConfig, names: list[str]) -> None:
        for name in names:
            self.queues.agents.apply(name, "login")
            self.queues.join(config.queue_id, name)

    def caller(self, config: QueueConfig, call_id: str, priority: int = 0) -> str:
        return self.queues.enter(config, call_id, "fs1", priority)

    def talk(self, offer: Offer, agent: str) -> None:
        """The agent answers, talks and hangs up."""
        self.distributor.conclude(offer.offer_id, CONNECTED, agent)
        self.distributor.caller_left(offer.queue_id, offer.call_id, "hangup")


@pytest.fixture
def center(client, settings, clock) -> Center:
    return Center(client, settings, clock)


def queue(**settings) -> QueueConfig:
    return QueueConfig.from_doc({"_id": "q1", "name": "Support", **settings})


def test_given_kazoos_queue_document_then_its_defaults_are_kazoos():
    config = queue()
    assert config.agent_ring_timeout == 15 and config.connection_timeout == 3600
    assert config.caller_exit_key == "#" and config.enter_when_empty is True
    assert config.max_queue_size == 0 and config.strategy == "round_robin"


def test_given_round_robin_when_100_callers_are_handled_by_5_agents_then_each_takes_20(center):
    config = queue(strategy="round_robin")
    center.agents(config, [f"agent{n}" for n in range(5)])
    taken: Counter[str] = Counter()
    for n in range(100):
        center.caller(config, f"call{n}")
        [offer] = center.distributor.distribute("q1")
        taken[offer.agents[0]] += 1
        center.talk(offer, offer.agents[0])
    assert set(taken.values()) == {20}


def test_given_most_idle_then_the_agent_ready_the_longest_is_offered(center, clock):
    config = queue(strategy="most_idle")
    for name in ("carol", "alice", "bob"):  # alice ready last, carol first
        center.agents(config, [name])
        clock.advance(1)
    center.caller(config, "call1")
    [offer] = center.distributor.distribute("q1")
    assert offer.agents == ("carol",)
    center.talk(offer, "carol")
    center.caller(config, "call2")
    [offer] = center.distributor.distribute("q1")
    assert offer.agents == ("alice",)


def test_given_ring_all_then_every_ready_agent_rings_and_the_first_to_answer_wins(center):
    config = queue(strategy="ring_all")
    center.agents(config, ["alice", "bob", "carol"])
    center.queues.agents.apply("carol", "pause")
    center.caller(config, "call1")
    [offer] = center.distributor.distribute("q1")
    assert sorted(offer.agents) == ["alice", "bob"]
    center.distributor.conclude(offer.offer_id, CONNECTED, "bob")
    assert center.queues.agents.status("bob")["state"] == ANSWERED
    assert center.queues.agents.status("alice")["state"] == READY
    assert center.queues.stats("q1")["handled"] == 1


def test_given_priorities_then_a_higher_priority_caller_is_offered_first(center):
    config = queue()
    center.caller(config, "early")
    center.caller(config, "vip", priority=5)
    center.caller(config, "late")
    assert center.queues.waiting("q1") == ["vip", "early", "late"]


def test_given_a_full_queue_or_an_empty_one_that_refuses_then_the_caller_does_not_enter(center):
    assert center.caller(queue(max_queue_size=1), "call1") == ENTERED
    assert center.caller(queue(max_queue_size=1), "call1") == ALREADY
    assert center.caller(queue(max_queue_size=1), "call2") == FULL
    assert center.caller(queue(enter_when_empty=False), "call3") == EMPTY
    center.agents(queue(), ["alice"])
    center.queues.agents.apply("alice", "pause")
    assert center.caller(queue(enter_when_empty=False), "call3") == EMPTY  # paused: none
    center.queues.agents.apply("alice", "resume")
    assert center.caller(queue(enter_when_empty=False), "call3") == ENTERED
    assert center.queues.stats("q1")["entered"] == 2


def test_given_an_offer_the_agent_misses_then_the_caller_keeps_its_place_and_goes_to_the_next(
    center,
):
    config = queue()
    center.agents(config, ["alice", "bob"])
    center.caller(config, "first")
    center.caller(config, "second")
    first, second = center.distributor.distribute("q1")
    assert (first.call_id, first.agents, second.agents) == ("first", ("alice",), ("bob",))
    again = center.distributor.conclude(first.offer_id, FAILED)
    assert again == {"q1"}
    assert center.queues.waiting("q1") == ["first"]
    assert center.queues.agents.status("alice")["misses"] == "1"
    center.distributor.conclude(second.offer_id, CONNECTED, "bob")
    center.distributor.caller_left("q1", "second", "hangup")
    [retry] = center.distributor.distribute("q1")
    assert retry.call_id == "first" and retry.agents == ("alice",)  # round robin: next after bob


def test_given_a_late_outcome_then_the_first_recorded_stands(center):
    config = queue()
    center.agents(config, ["alice"])
    center.caller(config, "call1")
    [offer] = center.distributor.distribute("q1")
    assert center.distributor.record(offer.offer_id, CONNECTED, "alice") == CONNECTED
    assert center.distributor.record(offer.offer_id, FAILED) == CONNECTED
    center.distributor.settle(offer.offer_id)
    center.distributor.settle(offer.offer_id)
    assert center.queues.agents.status("alice")["state"] == ANSWERED
    assert center.queues.stats("q1")["handled"] == 1 and "missed" not in center.queues.stats("q1")


def test_given_a_distributor_that_died_after_claiming_then_the_lease_gives_both_back(center, clock):
    config = queue(agent_ring_timeout=10)
    center.agents(config, ["alice"])
    center.caller(config, "call1")
    offer = center.distributor.claim("q1")  # claimed, never delivered: the worker died
    assert offer is not None and center.queues.waiting("q1") == []
    assert center.distributor.sweep() == set()  # not due yet
    clock.advance(16)
    assert center.distributor.sweep() == {"q1"}
    assert center.queues.waiting("q1") == ["call1"]
    assert center.queues.agents.status("alice")["state"] == READY
    assert center.distributor.accept(offer.offer_id) is False  # too late to ring
    [again] = center.distributor.distribute("q1")
    assert again.call_id == "call1" and again.agents == ("alice",)


def test_given_an_accepted_offer_then_the_lease_is_renewed_for_the_ring_time(center, clock):
    config = queue(agent_ring_timeout=10)
    center.agents(config, ["alice"])
    center.caller(config, "call1")
    [offer] = center.distributor.distribute("q1")
    clock.advance(12)
    assert center.distributor.accept(offer.offer_id)
    clock.advance(12)
    assert center.distributor.sweep() == set()
    assert center.queues.agents.status("alice")["state"] == RINGING


def test_given_a_caller_who_hangs_up_while_offered_then_the_agent_is_released_not_missed(center):
    config = queue()
    center.agents(config, ["alice"])
    center.caller(config, "call1")
    [offer] = center.distributor.distribute("q1")
    left, again = center.distributor.caller_left("q1", "call1", "hangup")
    assert left is not None and left.state == "offered" and again == {"q1"}
    status = center.queues.agents.status("alice")
    assert status["state"] == READY and status.get("misses", "0") == "0"
    stats = center.queues.stats("q1")
    assert stats["abandoned"] == 1 and stats["abandoned_hangup"] == 1 and stats["waiting"] == 0
    assert center.distributor.caller_left("q1", "call1", "hangup") == (None, set())


def test_given_an_agent_who_misses_three_offers_then_it_is_paused_and_not_offered(center):
    config = queue()
    center.agents(config, ["alice"])
    center.caller(config, "call1")
    for _ in range(3):
        [offer] = center.distributor.distribute("q1")
        center.distributor.conclude(offer.offer_id, FAILED)
    status = center.queues.agents.status("alice")
    assert status["state"] == PAUSED and status["reason"] == "missed 3 calls in a row"
    assert center.distributor.distribute("q1") == []
    center.queues.agents.apply("alice", "resume")
    assert len(center.distributor.distribute("q1")) == 1


def test_given_wrapup_time_then_the_agent_is_ready_again_when_the_sweep_sees_it_due(center, clock):
    config = queue(agent_wrapup_time=30)
    center.agents(config, ["alice"])
    center.caller(config, "call1")
    [offer] = center.distributor.distribute("q1")
    center.talk(offer, "alice")
    assert center.queues.agents.status("alice")["state"] == "wrapup"
    clock.advance(29)
    center.distributor.sweep()
    assert center.queues.agents.status("alice")["state"] == "wrapup"
    clock.advance(1)
    assert center.distributor.sweep() == {"q1"}
    assert center.queues.agents.status("alice")["state"] == READY


def test_given_eight_distributors_racing_over_50_callers_and_10_agents_then_one_winner_each(
    center, client, settings
):
    config = queue(strategy="most_idle")
    agents = [f"agent{n}" for n in range(10)]
    center.agents(config, agents)
    for n in range(50):
        center.caller(config, f"call{n}")
    offers: list[Offer] = []
    barrier = threading.Barrier(8)

    def race() -> None:
        barrier.wait()
        for _ in range(20):
            for offer in center.distributor.distribute("q1"):
                offers.append(offer)
                if int(offer.call_id[4:]) % 3:  # two in three answer; the rest miss
                    center.talk(offer, offer.agents[0])
                else:
                    center.distributor.conclude(offer.offer_id, FAILED)
                    center.queues.agents.apply(offer.agents[0], "resume")

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events = read_events(client, settings.namespace, ACCOUNT)
    assert double_bookings(events) == []
    assert sum(1 for e in events if e["event"] == "offer") == len(offers)
    per_caller = Counter(o.call_id for o in offers if int(o.call_id[4:]) % 3)
    assert all(count == 1 for count in per_caller.values())
    stats = center.queues.stats("q1")
    assert stats["handled"] + stats.get("abandoned", 0) + stats["waiting"] == stats["entered"]
    assert stats["handled"] == len(per_caller)
    assert all(center.queues.agents.status(a)["state"] in (READY, LOGGED_OUT) for a in agents)


def test_given_an_accepted_offer_whose_call_still_runs_then_its_lease_waits_for_the_call(
    center, clock
):
    live = {"call1"}
    distributor = Distributor(center.queues, center.delivered.extend, 5, status_of(live))
    config = queue(agent_ring_timeout=10)
    center.agents(config, ["alice"])
    center.caller(config, "call1")
    [offer] = distributor.distribute("q1")
    assert distributor.accept(offer.offer_id)
    clock.advance(60)  # the worker running the call died: its bridge result is late
    assert distributor.sweep() == set()
    assert center.queues.agents.status("alice")["state"] == RINGING
    distributor.conclude(offer.offer_id, CONNECTED, "alice")  # the late result counts
    assert center.queues.agents.status("alice")["state"] == "answered"
    assert center.queues.stats("q1")["handled"] == 1

    center.caller(config, "call2")  # a call that vanished: its lease expires
    live.add("call2")
    center.talk(offer, "alice")
    [lost] = distributor.distribute("q1")
    assert distributor.accept(lost.offer_id)
    live.discard("call2")
    clock.advance(60)
    assert distributor.sweep() == {"q1"}
    assert center.queues.waiting("q1") == ["call2"]


def status_of(live: set[str], ended: frozenset[str] = frozenset()):
    """A call status reader: ``live`` calls are active, ``ended`` ones ended, the others
    have no record."""
    return lambda call_id: "active" if call_id in live else "ended" if call_id in ended else None


def test_given_a_caller_whose_call_ended_without_leaving_then_it_is_taken_out_not_offered(
    center, clock
):
    ended = {"call1"}  # its member_ended task was lost
    distributor = Distributor(
        center.queues, center.delivered.extend, 5, status_of({"call3"}, frozenset(ended))
    )
    config = queue(agent_ring_timeout=10)
    center.agents(config, ["alice"])
    center.caller(config, "call1")
    center.caller(config, "call2")  # no record yet (its first step has not committed)
    center.caller(config, "call3")

    [offer] = distributor.distribute("q1")

    assert offer.call_id == "call2"  # call1 taken out; call2 may still be starting
    assert center.queues.member("call1") == {}
    stats = center.queues.stats("q1")
    assert stats["abandoned"] == 1 and stats["abandoned_hangup"] == 1
    assert stats["entered"] == 3 and stats["waiting"] == 2
    center.distributor.conclude(offer.offer_id, FAILED)  # back in line, first
    clock.advance(NO_RECORD_GRACE)  # call2 never got a record: it is gone too
    [offer] = distributor.distribute("q1")
    assert offer.call_id == "call3" and offer.agents == ("alice",)
    stats = center.queues.stats("q1")
    assert stats["abandoned_hangup"] == 2 and stats["waiting"] == 1
    assert center.queues.agents.status("alice")["state"] == RINGING


def test_given_a_queue_without_agents_when_a_callers_call_has_ended_then_it_is_taken_out(
    center,
):
    distributor = Distributor(
        center.queues, center.delivered.extend, 5, status_of({"call2"}, frozenset({"call1"}))
    )
    config = queue(enter_when_empty=False)
    center.agents(config, ["alice"])
    center.caller(config, "call1")
    center.caller(config, "call2")
    center.queues.agents.apply("alice", "logout")

    assert distributor.distribute("q1") == []

    assert [e["call_id"] for e in center.delivered] == ["call2"]  # ejected; call1 taken out
    assert center.queues.member("call1") == {}
    assert center.queues.stats("q1")["abandoned_hangup"] == 1


def test_given_a_worker_that_died_between_the_callers_leaving_and_its_agents_hangup_then_a_retry_hangs_up(  # noqa: E501
    center,
):
    config = queue()
    center.agents(config, ["alice"])
    center.caller(config, "call1")
    [offer] = center.distributor.distribute("q1")
    center.distributor.record(offer.offer_id, CONNECTED, "alice")  # died before settling
    center.queues.leave("q1", "call1", "hangup")  # a later step left, and died there too
    assert center.queues.agents.status("alice")["state"] == RINGING

    left, again = center.distributor.caller_left("q1", "call1", "hangup")  # the retry

    assert left is not None and left.state == "ended" and again == {"q1"}
    assert center.queues.agents.status("alice")["state"] == READY
    stats = center.queues.stats("q1")
    assert stats["handled"] == 1 and "abandoned" not in stats and stats["waiting"] == 0
    assert center.distributor.caller_left("q1", "call1", "hangup") == (None, set())


def test_given_callers_waiting_then_their_queue_is_busy_until_the_sweep_finds_it_empty(center):
    config = queue()
    center.caller(config, "call1")
    assert center.queues.busy_queues() == ["q1"]
    center.queues.settle_idle("q1")
    assert center.queues.busy_queues() == ["q1"]  # somebody waits: kept
    center.distributor.caller_left("q1", "call1", "timeout")
    center.queues.settle_idle("q1")
    assert center.queues.busy_queues() == []
