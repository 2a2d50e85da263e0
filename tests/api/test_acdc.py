"""The call center API: agents, their status and counters, queue rosters and stats,
over real HTTP, with the live state in Redis."""

from __future__ import annotations

import time

import pytest

from acdc.archive import archive
from acdc.distributor import CONNECTED, Distributor
from acdc.queue import QueueConfig, Queues
from kazoo_tasks import services


@pytest.fixture
def office(root):
    """A queue and two users; the first has the queue in its ``queues``."""
    client, base = root.client, f"/accounts/{root.id}"
    queue = client.put(f"{base}/queues", {"name": "Support"}).json()["data"]["id"]
    ann = client.put(
        f"{base}/users", {"first_name": "Ann", "last_name": "A", "queues": [queue]}
    ).json()["data"]["id"]
    ben = client.put(f"{base}/users", {"first_name": "Ben", "last_name": "B"}).json()["data"]["id"]
    return client, base, queue, ann, ben


@pytest.fixture
def live(api_settings, root) -> Queues:
    return Queues(services.redis_client(api_settings), api_settings.namespace, root.id)


def status(client, base, agent, action, **extra):
    return client.post(f"{base}/agents/{agent}/status", {"status": action, **extra})


def test_given_users_with_queues_then_they_are_the_agents(office):
    client, base, queue, ann, _ = office
    answer = client.get(f"{base}/agents")
    assert answer.status_code == 200
    assert [(a["id"], a["queues"]) for a in answer.json()["data"]] == [(ann, [queue])]


def test_given_an_agent_when_it_logs_in_pauses_and_resumes_then_its_status_follows(office, live):
    client, base, queue, ann, _ = office
    assert client.get(f"{base}/agents/{ann}/status").json()["data"]["status"] == "logged_out"

    answer = status(client, base, ann, "login")
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["status"] == "ready"
    assert answer.json()["data"]["queues"] == [queue] and live.roster(queue) == [ann]

    paused = status(client, base, ann, "pause", timeout=60, reason="lunch").json()["data"]
    assert paused["status"] == "paused" and paused["reason"] == "lunch"
    assert paused["until"] - paused["since"] == 60
    assert client.get(f"{base}/agents/status").json()["data"][ann]["status"] == "paused"
    assert status(client, base, ann, "resume").json()["data"]["status"] == "ready"

    again = status(client, base, ann, "resume")
    assert again.status_code == 400
    assert again.json()["data"]["status"]["state"]["value"] == "ready"

    out = status(client, base, ann, "logout").json()["data"]
    assert out["status"] == "logged_out" and live.roster(queue) == []
    stats = client.get(f"{base}/agents/stats").json()["data"][ann]
    assert stats["agent_id"] == ann and "seconds_paused" in stats


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "dance"}, "status"),
        ({}, "status"),
        ({"status": "pause", "timeout": -1}, "timeout"),
        ({"status": "pause", "timeout": "soon"}, "timeout"),
        ("login", "data"),
    ],
)
def test_given_a_bad_status_change_then_400_names_the_field(office, body, field):
    client, base, _, ann, _ = office
    answer = client.post(f"{base}/agents/{ann}/status", body)
    assert answer.status_code == 400
    assert field in answer.json()["data"]


def test_given_an_id_that_is_no_user_of_the_account_then_404(office):
    client, base, queue, _, _ = office
    assert status(client, base, queue, "login").status_code == 404
    assert client.get(f"{base}/agents/{'f' * 32}/status").status_code == 404


def test_given_a_roster_set_then_the_users_queues_follow_and_clearing_empties_it(office, live):
    client, base, queue, ann, ben = office
    status(client, base, ben, "login")
    answer = client.post(f"{base}/queues/{queue}/roster", [ben])
    assert answer.status_code == 200 and answer.json()["data"] == [ben]
    assert client.get(f"{base}/users/{ann}").json()["data"]["queues"] == []
    assert client.get(f"{base}/queues/{queue}/roster").json()["data"] == [ben]
    assert live.roster(queue) == [ben]  # logged in: takes the queue's calls at once

    bad = client.post(f"{base}/queues/{queue}/roster", [ben, "0" * 32])
    assert bad.status_code == 400 and "data" in bad.json()["data"]
    assert client.post(f"{base}/queues/{queue}/roster", {"agents": [ben]}).status_code == 400

    assert client.delete(f"{base}/queues/{queue}/roster").json()["data"] == []
    assert live.roster(queue) == []
    assert client.get(f"{base}/queues/{'0' * 32}/roster").status_code == 404


def test_given_callers_in_a_queue_then_its_stats_show_them_and_the_counters(office, live):
    client, base, queue, _, _ = office
    config = QueueConfig.from_doc({"_id": queue})
    live.enter(config, "call-1", "fs1", priority=0)
    live.enter(config, "call-2", "fs1", priority=3)
    live.leave(queue, "call-1", "exit_key")

    one = client.get(f"{base}/queues/{queue}/stats").json()["data"]
    assert one["entered"] == 2 and one["abandoned_exit_key"] == 1 and one["waiting"] == 1
    assert [c["call_id"] for c in one["callers"]] == ["call-2"]
    assert one["callers"][0]["priority"] == 3
    every = client.get(f"{base}/queues/stats").json()["data"]
    assert every[queue]["entered"] == 2 and "callers" not in every[queue]


def test_given_callers_answered_after_5_and_after_30_seconds_then_the_service_level_is_half(
    office, api_settings, root
):
    client, base, queue, ann, _ = office
    moments = [time.time()]
    live = Queues(services.redis_client(api_settings), api_settings.namespace, root.id,
                  clock=lambda: moments[-1])  # fmt: skip
    distributor = Distributor(live, lambda offers: None, grace=5)
    config = QueueConfig.from_doc({"_id": queue})
    assert status(client, base, ann, "login").status_code == 200
    for call_id, wait in (("fast", 5), ("slow", 30)):
        live.enter(config, call_id, "fs1", priority=0)
        moments.append(moments[-1] + wait)
        [offer] = distributor.distribute(queue)
        distributor.conclude(offer.offer_id, CONNECTED, ann)
        distributor.caller_left(queue, call_id, "hangup")
        live.agents.apply(ann, "end_wrapup")

    one = client.get(f"{base}/queues/{queue}/stats").json()["data"]
    assert one["sla_seconds"] == 20
    assert (one["answered_last_day"], one["answered_within_sla"]) == (2, 1)
    assert one["service_level_pct"] == 50.0
    assert client.get(f"{base}/queues/stats").json()["data"][queue]["service_level_pct"] == 50.0


def test_given_callers_who_left_then_their_stats_are_stored_and_listed(office, live, store):
    client, base, queue, _, _ = office
    config = QueueConfig.from_doc({"_id": queue})
    for call_id, reason in (("call-1", "exit_key"), ("call-2", "timeout")):
        live.enter(config, call_id, "fs1")
        live.leave(queue, call_id, reason)

    assert archive(live, store) == 2
    assert archive(live, store) == 0  # nothing twice

    listed = client.get(f"{base}/acdc_call_stats").json()["data"]
    assert sorted((s["call_id"], s["status"]) for s in listed) == [
        ("call-1", "abandoned"),
        ("call-2", "abandoned"),
    ]
    one = client.get(f"{base}/acdc_call_stats/{listed[0]['id']}").json()["data"]
    assert one["abandoned_reason"] in ("exit_key", "timeout") and one["queue_id"] == queue
    assert one["entered_timestamp"] > 63_000_000_000  # gregorian seconds
    assert client.put(f"{base}/acdc_call_stats", {"call_id": "x"}).status_code == 405


def test_given_kazoos_acdc_callflow_nodes_then_they_are_accepted_and_bad_ones_refused(office):
    client, base, queue, _, _ = office
    member = {"module": "acdc_member", "data": {"id": queue, "priority": 2}}
    agent = {
        "module": "acdc_agent",
        "data": {"action": "paused", "timeout": 300, "presence_id": "1000@example.com",
                 "presence_state": "red_flash"},
    }  # fmt: skip
    wait = {"module": "acdc_wait_time", "data": {"id": queue, "window": 900},
            "children": {"120": member, "_": member}}  # fmt: skip
    for number, flow in (("7001", member), ("*73", agent), ("7003", wait)):
        saved = client.put(f"{base}/callflows", {"numbers": [number], "flow": flow})
        assert saved.status_code == 201, saved.text
    queue_node = {"module": "acdc_queue", "data": {"id": queue, "action": "login"}}
    assert client.put(f"{base}/callflows", {"numbers": ["*75"], "flow": queue_node}).ok

    bad = {"module": "acdc_agent", "data": {"action": "dance"}}
    refused = client.put(f"{base}/callflows", {"numbers": ["*79"], "flow": bad})
    assert refused.status_code == 400 and "flow.data.action" in refused.json()["data"]


def test_given_an_agent_then_queue_status_joins_and_leaves_one_queue(office, live):
    client, base, queue, ann, _ = office
    path = f"{base}/agents/{ann}/queue_status"
    joined = client.post(path, {"action": "login", "queue_id": queue})
    assert joined.status_code == 200 and joined.json()["data"]["queues"] == [queue]
    assert live.roster(queue) == [ann]
    assert client.get(path).json()["data"]["queues"] == [queue]
    assert client.post(path, {"action": "logout", "queue_id": queue}).json()["data"]["queues"] == []

    missing = client.post(path, {"action": "login", "queue_id": "0" * 32})
    assert missing.status_code == 400 and "queue_id" in missing.json()["data"]
    assert client.post(path, {"action": "dance", "queue_id": queue}).status_code == 400
    assert client.get(f"{base}/agents/{'f' * 32}/queue_status").status_code == 404


def test_given_an_agent_with_skills_when_it_logs_in_then_its_status_shows_them(office, live):
    client, base, queue, ann, _ = office
    assert client.patch(f"{base}/users/{ann}", {"acdc_skills": ["spanish", "billing"]}).ok

    answer = status(client, base, ann, "login")

    assert answer.json()["data"]["skills"] == ["billing", "spanish"]
    assert client.get(f"{base}/agents/status").json()["data"][ann]["skills"] == [
        "billing", "spanish"
    ]  # fmt: skip


def test_given_required_skills_nodes_then_kazoos_are_accepted_and_bad_skill_names_refused(office):
    client, base, queue, _, _ = office
    member = {"module": "acdc_member", "data": {"id": queue, "required_skills": ["spanish"]}}
    skills = {"module": "acdc_required_skills", "data": {"add": ["billing"], "remove": ["x"]},
              "children": {"_": member}}  # fmt: skip
    saved = client.put(f"{base}/callflows", {"numbers": ["7010"], "flow": skills})
    assert saved.status_code == 201, saved.text

    bad = {"module": "acdc_member", "data": {"id": queue, "required_skills": ["a,b"]}}
    refused = client.put(f"{base}/callflows", {"numbers": ["7011"], "flow": bad})
    assert refused.status_code == 400 and "flow.data.required_skills" in str(refused.json()["data"])
