"""Skills-based offers through the whole pipeline: agents have ``acdc_skills`` (their
user documents), callers need skills (``acdc_member``'s ``required_skills``, Kazoo's
``acdc_required_skills`` action); only an agent with every needed skill is offered."""

from __future__ import annotations

from typing import Any

import pytest

from acdc.service import act
from tests.e2e.conftest import node
from tests.e2e.test_acdc import CallCenter, answered_legs, assert_never_double_booked
from tests.waiting import wait_for


@pytest.fixture
def center(stack, store, account) -> CallCenter:
    return CallCenter(stack, store, account)


def skilled_agent(center: CallCenter, name: str, queue_id: str, skills: list[str]) -> str:
    """A user with ``acdc_skills`` and a phone answering after 0.2 s, logged in as the
    API and the feature code do (its user document)."""
    data = {"first_name": name, "last_name": "Agent", "queues": [queue_id], "acdc_skills": skills}
    user = center.users.create(center.account.id, data)
    center.phone(name.lower(), owner=user["_id"])
    center.far_end(name.lower(), answer_after=0.2, hangup_after=2)
    center.agent_ids[name] = user["_id"]
    assert act(center.queues, user["_id"], "login", user).transition.ok
    return user["_id"]


def rung(call: Any) -> list[str]:
    return [leg.destination.split("@")[0].rsplit("/", 1)[-1] for leg in call.legs]


def test_given_agents_with_different_skills_then_each_caller_is_offered_only_to_an_agent_with_its_skills(  # noqa: E501
    center: CallCenter,
):
    queue_id = center.queue(strategy="most_idle", agent_ring_timeout=5)
    ann = skilled_agent(center, "Ann", queue_id, ["english"])  # the most idle
    ben = skilled_agent(center, "Ben", queue_id, ["billing", "spanish"])
    member = node("acdc_member", {"id": queue_id, "required_skills": ["spanish"]})
    center.account.callflow(["4001"], member)
    kazoo_way = node("acdc_required_skills", {"add": ["billing", "french"], "remove": ["french"]})
    kazoo_way["children"] = {"_": node("acdc_member", {"id": queue_id})}
    center.account.callflow(["4002"], kazoo_way)
    center.account.callflow(["4003"], node("acdc_member", {"id": queue_id}))
    variables = center.account.variables

    spanish = center.stack.emulator.place_call("4001", variables=variables)
    assert spanish.wait_hangup(timeout=60) == "NORMAL_CLEARING"
    billing = center.stack.emulator.place_call("4002", variables=variables)
    assert billing.wait_hangup(timeout=60) == "NORMAL_CLEARING"
    anyone = center.stack.emulator.place_call("4003", variables=variables)
    assert anyone.wait_hangup(timeout=60) == "NORMAL_CLEARING"

    assert rung(spanish) == ["ben"]  # Ann was idle longer, but speaks no Spanish
    assert rung(billing) == ["ben"]
    assert rung(anyone) == ["ann"]  # no skill needed: the most idle
    assert all(len(answered_legs(call)) == 1 for call in (spanish, billing, anyone))
    assert center.queues.agents.stats(ben)["handled"] == 2
    assert center.queues.agents.stats(ann)["handled"] == 1
    assert_never_double_booked(center.stream())


def test_given_a_caller_needing_a_skill_nobody_has_then_it_waits_and_the_callers_behind_it_are_served(  # noqa: E501
    center: CallCenter,
):
    queue_id = center.queue(agent_ring_timeout=5)
    ann = skilled_agent(center, "Ann", queue_id, ["english"])
    center.account.callflow(
        ["4001"], node("acdc_member", {"id": queue_id, "required_skills": ["french"]})
    )
    center.account.callflow(["4003"], node("acdc_member", {"id": queue_id}))
    variables = center.account.variables

    french = center.stack.emulator.place_call("4001", variables=variables)
    wait_for(lambda: center.queues.stats(queue_id)["waiting"] == 1, 30, "the French caller in")
    anyone = center.stack.emulator.place_call("4003", variables=variables)

    assert anyone.wait_hangup(timeout=60) == "NORMAL_CLEARING"
    assert rung(anyone) == ["ann"] and french.is_up and not french.legs
    assert center.queues.waiting(queue_id) == [french.uuid]
    wait_for(lambda: center.state(ann) == "ready", 30, "Ann ready again")
    assert not french.legs  # still nobody with French
    french.hangup()
    stats = wait_for(lambda: (s := center.queues.stats(queue_id))["waiting"] == 0 and s, 30)
    assert stats["handled"] == 1 and stats["abandoned_hangup"] == 1
