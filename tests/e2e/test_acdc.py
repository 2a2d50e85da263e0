"""ACDc through the whole pipeline: callers dial a queue (``acdc_member``), agents' phones
are the emulator's far ends, ecallmgr and worker processes in between."""

from __future__ import annotations

import os
import random
import signal
import time
from typing import Any

import pytest

from acdc.audit import double_bookings, read_events
from acdc.distributor import Distributor
from acdc.queue import QueueConfig, Queues
from acdc.service import act
from api.documents import DocumentService
from api.queues.resource import SPEC as QUEUES
from kazoo_tasks import services
from kazoo_tasks.docstore import account_db
from tests.e2e.conftest import node
from tests.e2e.test_bridging import Office
from tests.waiting import wait_for

QUEUE_NUMBER = "4000"


class CallCenter(Office):
    """An office with a queue and agents (users with a registered phone each)."""

    def __init__(self, stack, store, account) -> None:
        super().__init__(stack, store, account)
        self.client = services.redis_client(stack.settings)
        self.queues = Queues(self.client, stack.settings.namespace, account.id)
        self.agent_ids: dict[str, str] = {}

    def queue(self, **settings: Any) -> str:
        data = {"name": "Support", **settings}
        return DocumentService(self.store, QUEUES).create(self.account.id, data)["_id"]

    def agent(self, name: str, queue_id: str, **far_end: Any) -> str:
        user_id = self.user(name)
        self.phone(name.lower(), owner=user_id)
        self.far_end(name.lower(), **far_end)
        self.agent_ids[name] = user_id
        assert self.queues.agents.apply(user_id, "login").ok
        self.queues.join(queue_id, user_id)
        return user_id

    def dial_queue(self, queue_id: str, then: dict[str, Any] | None = None):
        flow = node("acdc_member", {"id": queue_id}, then)
        self.account.callflow([QUEUE_NUMBER], flow)

    def place(self, **options: Any):
        return self.stack.emulator.place_call(
            QUEUE_NUMBER, variables=self.account.variables, **options
        )

    def state(self, user_id: str) -> str:
        return self.queues.agents.status(user_id)["state"]

    def call_stats(self) -> list[dict[str, Any]]:
        """The per-call stats stored in the account's database."""
        return self.store.find(account_db(self.account.id), {"pvt_type": "acdc_call_stat"})

    def stream(self) -> list[dict[str, str]]:
        return read_events(self.client, self.stack.settings.namespace, self.account.id)


@pytest.fixture
def center(stack, store, account) -> CallCenter:
    return CallCenter(stack, store, account)


def assert_never_double_booked(stream: list[dict[str, str]]) -> None:
    """Replay the agents' changes: no agent is offered a caller while it has one."""
    assert double_bookings(stream) == []


def answered_legs(call) -> list:
    return [leg for leg in call.legs if leg.answered_at is not None]


def test_given_two_agents_and_three_callers_then_each_caller_talks_to_one_agent(center):
    queue_id = center.queue(agent_ring_timeout=5)
    center.dial_queue(queue_id)
    center.agent("Ann", queue_id, answer_after=0.5, hangup_after=5)
    center.agent("Ben", queue_id, answer_after=0.5, hangup_after=5)

    calls = [center.place() for _ in range(3)]

    for call in calls:
        assert call.wait_hangup(timeout=60) == "NORMAL_CLEARING"
        assert len(answered_legs(call)) == 1
    stats = wait_for(
        lambda: (s := center.queues.stats(queue_id)) and s.get("handled") == 3 and s, 30
    )
    assert stats["entered"] == 3 and stats["waiting"] == 0
    assert_never_double_booked(center.stream())
    archived = wait_for(lambda: len(found := center.call_stats()) == 3 and found, 30)
    assert {doc["call_id"] for doc in archived} == {call.uuid for call in calls}
    assert {doc["status"] for doc in archived} == {"handled"}
    assert {doc["agent_id"] for doc in archived} <= set(center.agent_ids.values())
    wait_for(lambda: all(center.state(a) == "ready" for a in center.agent_ids.values()), 30)


def test_given_50_callers_and_10_agents_some_refusing_then_each_caller_is_connected_once_or_counted(
    center,
):
    queue_id = center.queue(agent_ring_timeout=5, strategy="most_idle")
    center.dial_queue(queue_id, then=node("hangup"))
    for n in range(10):
        rule = {"reject": 486} if n < 2 else {"answer_after": (0, 3), "hangup_after": 2}
        center.agent(f"Agent{n}", queue_id, **rule)

    calls = []
    for n in range(50):
        calls.append(center.place())
        if n % 10 in (3, 7):
            calls[-1].wait_answered(timeout=30)  # in the queue, hearing the music
        if n % 10 == 3:
            calls[-1].hangup()  # gives up
        elif n % 10 == 7:
            calls[-1].press("#")  # the exit key
    for call in calls:
        call.wait_hangup(timeout=120)

    try:
        stats = wait_for(lambda: (s := center.queues.stats(queue_id)) and not s["waiting"] and s,
                         60)  # fmt: skip
    except AssertionError as still:  # which callers stayed in the queue, and how
        left = center.queues.members(queue_id)
        raise AssertionError(f"{still}; still members: {left}") from None
    connected = [call for call in calls if answered_legs(call)]
    assert all(len(answered_legs(call)) <= 1 for call in calls)
    assert stats["entered"] == 50, stats
    assert stats["handled"] == len(connected)
    assert stats["handled"] + stats["abandoned"] == stats["entered"]
    assert (
        stats.get("abandoned_exit_key", 0) + stats.get("abandoned_hangup", 0) == stats["abandoned"]
    )
    assert_never_double_booked(center.stream())
    # the two phones that refuse every call got their agents paused, with the reason
    for n in range(2):
        status = center.queues.agents.status(center.agent_ids[f"Agent{n}"])
        assert status["state"] == "paused" and "missed" in status["reason"]


# -- Kazoo's reported failures ----------------------------------------------------------


def test_given_a_caller_who_hangs_up_while_the_agent_rings_then_no_ghost_call_reaches_the_agent(
    center,
):
    queue_id = center.queue(agent_ring_timeout=600)
    center.dial_queue(queue_id)
    ann = center.agent("Ann", queue_id, no_answer=True)

    call = center.place()
    leg = call.wait_for_leg(timeout=30)
    wait_for(lambda: center.state(ann) == "ringing", 15, "Ann ringing")
    call.hangup()

    assert leg.wait_hangup(timeout=30)  # the agent's phone stops ringing
    assert leg.answered_at is None
    wait_for(lambda: center.state(ann) == "ready", 30, "Ann ready again")
    assert center.queues.agents.status(ann).get("misses", "0") == "0"  # not her fault
    stats = wait_for(lambda: (s := center.queues.stats(queue_id)).get("abandoned") and s, 30)
    assert stats["abandoned_hangup"] == 1 and stats["waiting"] == 0
    assert len(call.legs) == 1  # nobody was rung for the gone caller afterwards


def agent_dials(center: CallCenter, agent_id: str, number: str, flow: dict[str, Any]):
    """The agent's phone dials a feature code."""
    center.account.callflow([number], flow)
    variables = {**center.account.variables, "ecallmgr_Owner-ID": agent_id}
    return center.stack.emulator.place_call(number, variables=variables)


def test_given_callers_waiting_when_the_last_agent_logs_out_then_they_take_the_timeout_path_at_once(
    center, account
):
    queue_id = center.queue(enter_when_empty=False, agent_wrapup_time=600)
    center.dial_queue(queue_id, then=node("play", {"id": "tone_stream://%(100,0,350)"}))
    ann = center.agent("Ann", queue_id, answer_after=0.1, hangup_after=0.5)
    first = center.place()
    assert first.wait_hangup(timeout=30)
    wait_for(lambda: center.state(ann) == "wrapup", 15, "Ann in wrap-up")
    waiting = [center.place() for _ in range(2)]
    wait_for(lambda: center.queues.stats(queue_id)["waiting"] == 2, 30, "two callers waiting")

    logout = agent_dials(center, ann, "*72", node("acdc_agent", {"action": "logout"}))

    assert logout.wait_hangup(timeout=30)
    assert center.state(ann) == "logged_out"
    for call in waiting:
        assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
        assert not call.legs
        trace = account.wait_cdr(call.uuid)["trace"]
        assert any("no_agents" in (step.get("note") or "") for step in trace)
        assert any(step.get("module") == "play" for step in trace)  # the `_` child ran
    stats = center.queues.stats(queue_id)
    assert stats["abandoned_no_agents"] == 2 and stats["handled"] == 1 and stats["waiting"] == 0
    archived = wait_for(lambda: len(found := center.call_stats()) == 3 and found, 30)
    reasons = sorted(doc.get("abandoned_reason", doc["status"]) for doc in archived)
    assert reasons == ["handled", "no_agents", "no_agents"]
    # and a new caller is not let in
    refused = center.place()
    assert refused.wait_hangup(timeout=30)
    after = center.queues.stats(queue_id)
    assert after["entered"] == 3 and after["refused_empty"] == 1


def test_given_an_agent_who_misses_three_calls_then_it_is_paused_with_a_reason_and_can_resume(
    center,
):
    queue_id = center.queue(agent_ring_timeout=1)
    center.dial_queue(queue_id)
    ann = center.agent("Ann", queue_id, reject=480)

    call = center.place()
    status = wait_for(
        lambda: (s := center.queues.agents.status(ann))["state"] == "paused" and s, 30, "a pause"
    )
    assert status["reason"] == "missed 3 calls in a row"
    assert len(call.legs) == 3 and call.is_up  # the caller still waits
    center.far_end("ann", answer_after=0.1, hangup_after=0.5)

    resume = agent_dials(center, ann, "*73", node("acdc_agent", {"action": "resume"}))

    assert resume.wait_hangup(timeout=30)
    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert len(answered_legs(call)) == 1
    assert center.queues.agents.stats(ann)["missed"] == 3
    assert center.queues.stats(queue_id)["handled"] == 1


# -- the other modules ---------------------------------------------------------------------


def test_given_an_agent_dialing_acdc_queue_then_it_joins_the_queue_and_later_leaves_it(center):
    queue_id = center.queue()
    other_id = center.queue(name="Sales")
    ann = center.agent("Ann", queue_id)

    joined = agent_dials(center, ann, "*75", node("acdc_queue", {"id": other_id}))
    assert joined.wait_hangup(timeout=30)
    assert center.queues.queues_of(ann) == sorted([queue_id, other_id])

    flow = node("acdc_queue", {"id": other_id, "action": "logout"})
    left = agent_dials(center, ann, "*76", flow)
    assert left.wait_hangup(timeout=30)
    assert center.queues.queues_of(ann) == [queue_id]


def test_given_callers_who_waited_two_minutes_then_acdc_wait_time_takes_the_60_s_branch(
    center, account
):
    queue_id = center.queue()
    now = time.time()
    seeded = Queues(center.client, center.stack.settings.namespace, account.id, lambda: now - 120)
    seeded.agents.apply("seed-agent", "login")
    seeded.join(queue_id, "seed-agent")
    seeded.enter(QueueConfig.from_doc({"_id": queue_id}), "seed-call", "fs1")
    offer = Distributor(seeded).claim(queue_id)
    assert offer is not None
    Distributor(Queues(center.client, center.stack.settings.namespace, account.id)).record(
        offer.offer_id, "connected", "seed-agent"
    )
    flow = node("acdc_wait_time", {"id": queue_id, "window": 600})
    flow["children"] = {
        "60": node("play", {"id": "tone_stream://%(100,0,600)"}),
        "300": node("play", {"id": "tone_stream://%(100,0,300)"}),
        "_": node("play", {"id": "tone_stream://%(100,0,100)"}),
    }
    account.callflow(["4100"], flow)

    call = center.stack.emulator.place_call("4100", variables=account.variables)

    assert call.wait_hangup(timeout=30)
    played = [args for app, args in call.applications if app == "playback"]
    assert played == ["tone_stream://%(100,0,600)"]


@pytest.mark.faults
def test_given_workers_sigkilled_during_30_callers_then_each_is_connected_once_or_counted(
    stack_factory, store, account
):
    stack = stack_factory({"acdc_offer_grace": 2.0}, workers=2, concurrency=2)
    center = CallCenter(stack, store, account)
    queue_id = center.queue(agent_ring_timeout=3, strategy="round_robin")
    center.dial_queue(queue_id, then=node("hangup"))
    for n in range(6):
        center.agent(f"Agent{n}", queue_id, answer_after=(0, 2), hangup_after=3)
    rng = random.Random(11)
    agents = list(center.agent_ids.values())
    ringing = lambda: next((a for a in agents if center.state(a) == "ringing"), None)  # noqa: E731

    calls, left = [], None
    for n in range(30):
        calls.append(center.place())
        time.sleep(0.05)
        if n % 8 == 7:  # a pool child dies mid-call, whatever it was doing
            worker = rng.choice([w for w in stack.workers if w.alive()])
            victim = rng.choice(worker.children() or [None])
            if victim is not None:
                os.kill(victim, signal.SIGKILL)
        if left is None and n >= 10 and (left := ringing()):
            act(center.queues, left, "logout")  # logs out while her phone rings
    stack.workers[0].kill()  # a whole worker too; a new one takes its place
    stack.add_worker()
    if left is None:
        left = wait_for(ringing, 30, "an agent ringing")
        act(center.queues, left, "logout")
    for call in calls:
        call.wait_hangup(timeout=120)

    stats = wait_for(lambda: (s := center.queues.stats(queue_id)) and not s["waiting"] and s, 60)
    assert all(len(answered_legs(call)) <= 1 for call in calls)
    connected = sum(1 for call in calls if answered_legs(call))
    assert stats["entered"] == 30 and stats["handled"] == connected
    assert stats["handled"] + stats.get("abandoned", 0) == stats["entered"]
    assert_never_double_booked(center.stream())
    states = lambda: {a: center.queues.agents.status(a) for a in agents}  # noqa: E731
    expected = {a: "logged_out" if a == left else "ready" for a in agents}
    try:
        wait_for(lambda: {a: center.state(a) for a in agents} == expected, 60, "agents settled")
    except AssertionError:
        raise AssertionError(f"{states()}\n{center.stream()[-40:]}") from None


def test_given_ring_all_and_an_agent_with_two_phones_then_every_phone_rings_and_one_answer_wins(
    center,
):
    queue_id = center.queue(strategy="ring_all", agent_ring_timeout=10)
    center.dial_queue(queue_id)
    ann = center.agent("Ann", queue_id, no_answer=True)
    center.phone("ann2", owner=ann)  # Ann's second phone answers
    center.far_end("ann2", answer_after=0.5, hangup_after=2)
    ben = center.agent("Ben", queue_id, no_answer=True)

    call = center.place()

    assert call.wait_hangup(timeout=60) == "NORMAL_CLEARING"
    rung = sorted(leg.destination.split("@")[0].rsplit("/", 1)[-1] for leg in call.legs)
    assert rung == ["ann", "ann2", "ben"]  # every ready agent's every phone, in one offer
    [answered] = answered_legs(call)
    assert answered.destination.split("@")[0].endswith("ann2")
    stats = center.queues.agents.stats(ann)
    assert stats["handled"] == 1  # counted once, whichever phone answered
    assert "handled" not in center.queues.agents.stats(ben)
    assert center.queues.stats(queue_id)["handled"] == 1
    wait_for(lambda: center.state(ann) == center.state(ben) == "ready", 30, "both ready")
