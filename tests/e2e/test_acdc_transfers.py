"""ACDc and blind transfers: Kazoo's reported "agent stuck after transfers" as tests. An
agent who transfers her caller away (a SIP REFER from her phone) is free again at once,
however many times the call is transferred afterwards."""

from __future__ import annotations

import pytest

from kazoo_tasks.esl.emulator import script as s
from tests.e2e.conftest import node
from tests.e2e.test_acdc import QUEUE_NUMBER, CallCenter, answered_legs, assert_never_double_booked
from tests.waiting import wait_for


@pytest.fixture
def center(stack, store, account) -> CallCenter:
    return CallCenter(stack, store, account)


def test_given_an_agent_transferred_twice_then_both_agents_end_ready_and_the_caller_is_counted_twice(  # noqa: E501
    center: CallCenter,
):
    queue_id = center.queue(agent_ring_timeout=5, strategy="most_idle")
    center.dial_queue(queue_id)
    # Ann takes the caller and transfers it back into the queue; Ben takes it and
    # transfers it to Carl's desk (not an agent), who talks, then hangs up
    ann = center.agent(
        "Ann",
        queue_id,
        answer_after=0.2,
        script=[s.on_event("CALL_UPDATE").wait(2).refer(QUEUE_NUMBER)],
    )
    ben = center.agent(
        "Ben", queue_id, answer_after=0.2, script=[s.on_event("CALL_UPDATE").wait(2).refer("6300")]
    )
    # most_idle: Ann (logged in first) takes the first call; once she is free again, Ben
    # has waited longer than she has
    carl = center.phone("carl")
    center.far_end("carl", answer_after=0.2, hangup_after=2)
    center.account.callflow(["6300"], node("device", {"id": carl}))

    call = center.place()

    first = call.wait_for_leg(1, timeout=30)
    assert first.wait_hangup(timeout=30) == "BLIND_TRANSFER"
    wait_for(lambda: center.state(ann) == "ready", 30, "Ann ready after her transfer")
    second = call.wait_for_leg(2, timeout=30)
    assert second.wait_hangup(timeout=30) == "BLIND_TRANSFER"
    wait_for(lambda: center.state(ben) == "ready", 30, "Ben ready after his transfer")
    assert center.state(ann) == "ready"  # the second transfer did not touch Ann

    assert call.wait_hangup(timeout=60) == "NORMAL_CLEARING"
    legs = [leg.destination.split("@")[0].rsplit("/", 1)[-1] for leg in call.legs]
    assert legs == ["ann", "ben", "carl"]
    assert len(answered_legs(call)) == 3
    stats = wait_for(
        lambda: (st := center.queues.stats(queue_id)).get("handled") == 2 and st, 30, "stats"
    )
    assert stats["entered"] == 2 and stats["waiting"] == 0 and not stats.get("abandoned")
    assert center.queues.agents.stats(ann)["handled"] == 1
    assert center.queues.agents.stats(ben)["handled"] == 1
    assert_never_double_booked(center.stream())
    wait_for(lambda: center.state(ann) == center.state(ben) == "ready", 30, "both ready")
