"""An agent's own calls through the whole pipeline: a call from her phone, or to it, that
no queue offered makes her ``outbound`` (busy: callers are not offered to her) while it
is bridged, and ``ready`` after; her state is never corrupted."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import node
from tests.e2e.test_acdc import CallCenter, agent_dials, answered_legs, assert_never_double_booked
from tests.waiting import wait_for


@pytest.fixture
def center(stack, store, account) -> CallCenter:
    return CallCenter(stack, store, account)


def moves(center: CallCenter, agent_id: str) -> list[str]:
    """The agent's states, in order, from the account's event stream."""
    return [e["to"] for e in center.stream() if e.get("agent") == agent_id]


def test_given_an_agent_calling_out_then_she_is_busy_until_her_call_ends_and_a_caller_waits_for_her(  # noqa: E501
    center: CallCenter,
):
    queue_id = center.queue(agent_ring_timeout=5)
    center.dial_queue(queue_id)
    ann = center.agent("Ann", queue_id, answer_after=0.2, hangup_after=1)
    carl = center.phone("carl")
    center.far_end("carl", answer_after=0.2, hangup_after=60)  # a long call

    own = agent_dials(center, ann, "6500", node("device", {"id": carl}))
    wait_for(lambda: center.state(ann) == "outbound", 30, "Ann busy with her own call")
    caller = center.place()
    wait_for(lambda: center.queues.stats(queue_id)["waiting"] == 1, 30, "the caller waiting")
    assert center.state(ann) == "outbound" and not caller.legs  # not offered to Ann
    own.hangup()

    assert caller.wait_hangup(timeout=60) == "NORMAL_CLEARING"  # then Ann takes it
    assert len(answered_legs(caller)) == 1
    wait_for(lambda: center.state(ann) == "ready", 30, "Ann ready")
    assert moves(center, ann) == ["ready", "outbound", "ready", "ringing", "answered", "ready"]
    assert_never_double_booked(center.stream())


def test_given_a_direct_call_to_an_agent_then_she_is_busy_while_she_talks_and_ready_after(
    center: CallCenter,
):
    queue_id = center.queue()
    ann = center.agent("Ann", queue_id, answer_after=0.2, hangup_after=60)
    center.account.callflow(["6501"], node("user", {"id": ann}))

    call = center.stack.emulator.place_call("6501", variables=center.account.variables)

    wait_for(lambda: center.state(ann) == "outbound", 30, "Ann busy with a direct call")
    call.hangup()  # the caller ends it (Ann talked until the test saw her busy)
    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    wait_for(lambda: center.state(ann) == "ready", 30, "Ann ready")
    assert moves(center, ann) == ["ready", "outbound", "ready"]


def test_given_an_agent_who_logs_out_during_her_own_call_then_she_is_logged_out_when_it_ends(
    center: CallCenter,
):
    queue_id = center.queue()
    ann = center.agent("Ann", queue_id)
    carl = center.phone("carl")
    center.far_end("carl", answer_after=0.2, hangup_after=60)
    own = agent_dials(center, ann, "6500", node("device", {"id": carl}))
    wait_for(lambda: center.state(ann) == "outbound", 30, "Ann busy")

    pause = center.queues.agents.apply(ann, "pause")
    logout = center.queues.agents.apply(ann, "logout")
    own.hangup()

    assert not pause.ok and pause.reason == "not_allowed"  # her state stays outbound
    assert logout.ok and logout.deferred
    wait_for(lambda: center.state(ann) == "logged_out", 30, "Ann logged out")
    assert moves(center, ann) == ["ready", "outbound", "outbound", "logged_out"]
