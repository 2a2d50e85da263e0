"""What a waiting caller hears through the whole pipeline: the queue's position and
wait-time announcements at its ``interval`` (Kazoo's ``announcements``), the music in
between, and the queue's ``announce`` media before an agent is rung."""

from __future__ import annotations

from typing import Any

import pytest

from api.documents import DocumentService
from api.queues.resource import SPEC as QUEUES
from kazoo_tasks.docstore import account_db
from kazoo_tasks.esl.emulator import script as s
from tests.e2e.conftest import node
from tests.e2e.test_acdc import CallCenter, answered_legs
from tests.waiting import wait_for

MEDIA = {
    "you_are_at_position": "tone_stream://%(100,0,401)",
    "in_the_queue": "tone_stream://%(100,0,402)",
    "increase_in_call_volume": "tone_stream://%(100,0,403)",
    "the_estimated_wait_time_is": "tone_stream://%(100,0,404)",
}
ANNOUNCE = "tone_stream://%(100,0,405)"


@pytest.fixture
def center(stack, store, account) -> CallCenter:
    return CallCenter(stack, store, account)


def announced_queue(
    center: CallCenter, interval: int, media: dict[str, str] = MEDIA, **settings: Any
) -> str:
    """A queue announcing position and wait time every ``interval`` seconds. Crossbar
    refuses less than 15 s, as Kazoo's schema: a shorter one is written to the store as
    another tool could, so that the test runs in seconds."""
    announcements = {
        "position_announcements_enabled": True,
        "wait_time_announcements_enabled": True,
        "interval": 15,
        "media": media,
    }
    data = {"name": "Support", "announcements": announcements, **settings}
    doc = DocumentService(center.store, QUEUES).create(center.account.id, data)
    doc["announcements"]["interval"] = interval
    center.store.save(account_db(center.account.id), doc)
    return doc["_id"]


def heard(call) -> list[str]:
    """What the caller heard, in order (prompts, said words, music): the applications the
    switch ran (CHANNEL_EXECUTE), not those it was sent and dropped."""
    media = ("playback", "say", "endless_playback")
    ran = call.event_headers("CHANNEL_EXECUTE")
    return [h.get("Application-Data", "") for h in ran if h.get("Application") in media]


def announcement(position: int, minutes_said: int = 60) -> list[str]:
    return [
        MEDIA["you_are_at_position"],
        f"en number pronounced {position}",
        MEDIA["in_the_queue"],
        MEDIA["the_estimated_wait_time_is"],
        f"en time_measurement pronounced {minutes_said}",
    ]


def test_given_two_callers_waiting_then_each_hears_its_position_and_the_wait_at_the_interval_then_the_announce_before_the_agent(  # noqa: E501
    center: CallCenter,
):
    queue_id = announced_queue(center, interval=1, announce=ANNOUNCE, agent_ring_timeout=5)
    center.dial_queue(queue_id)
    ann = center.agent("Ann", queue_id, answer_after=0.2, hangup_after=1)
    assert center.queues.agents.apply(ann, "pause", timeout=0).ok  # nobody takes calls yet

    first = center.place()
    wait_for(lambda: center.queues.stats(queue_id)["waiting"] == 1, 30, "the first caller in")
    second = center.place()
    wait_for(lambda: heard(second).count(MEDIA["you_are_at_position"]) >= 2, 30, "2 announcements")
    assert center.queues.agents.apply(ann, "resume").ok
    # (the workers' sweep offers the callers to Ann once she is ready)
    assert first.wait_hangup(timeout=60) == "NORMAL_CLEARING"
    assert second.wait_hangup(timeout=60) == "NORMAL_CLEARING"

    music = "local_stream://moh"
    # at entry, then at the interval, with the music in between
    assert heard(first)[:6] == [*announcement(1), music]
    assert heard(second)[:12] == [*announcement(2), music, *announcement(2), music]
    # before the agent is rung: the queue's announce, then the bridge
    for call in (first, second):
        apps = [(app, args) for app, args in call.applications if app != "multiset"]
        bridge = [app for app, _ in apps].index("bridge")
        assert apps[bridge - 1] == ("playback", ANNOUNCE)
        assert len(answered_legs(call)) == 1


def test_given_a_caller_who_presses_the_exit_key_during_an_announcement_then_it_leaves_to_the_next_node_at_once(  # noqa: E501
    center: CallCenter,
):
    long_prompt = "tone_stream://%(60000,0,402)"  # a minute: pressed while it plays
    queue_id = announced_queue(center, interval=1, media={**MEDIA, "in_the_queue": long_prompt})
    after = "tone_stream://%(100,0,406)"
    center.dial_queue(queue_id, then=node("play", {"id": after}))
    ann = center.agent("Ann", queue_id)
    assert center.queues.agents.apply(ann, "pause", timeout=0).ok

    call = center.place(script=[s.on_playback(2).press("#")])  # during "in the queue"

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert heard(call)[-1] == after and not call.legs
    assert MEDIA["the_estimated_wait_time_is"] not in heard(call)  # the rest was dropped
    stats = center.queues.stats(queue_id)
    assert stats["abandoned_exit_key"] == 1 and stats["waiting"] == 0
