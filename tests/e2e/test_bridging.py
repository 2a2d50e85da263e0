"""Calls that reach people: device, user, ring_group and group bridge the caller to
registered phones (the emulator's far ends), through ecallmgr and worker processes.

Phones register through the switch (``sofia::register`` → the registration store); each
test says what its far ends do (answer, refuse with 486, ring forever) with the
emulator's endpoint rules.
"""

from __future__ import annotations

import os
import random
import signal
import time
from typing import Any

import pytest

from api.devices.resource import SPEC as DEVICES
from api.documents import DocumentService
from api.groups.resource import SPEC as GROUPS
from api.users.resource import SPEC as USERS
from kazoo_tasks.docstore import ACCOUNTS_DB, account_db
from kazoo_tasks.esl.emulator import script as s
from kazoo_tasks.keys import registration_key
from tests.e2e.conftest import TONE, node
from tests.e2e.test_load import stuck_calls
from tests.waiting import wait_for

REALM = "office.sip.example.net"
BUSY_TONE = "tone_stream://%(100,0,480)"


class Office:
    """An account with a realm, and helpers to give it users and phones."""

    def __init__(self, stack, store, account) -> None:
        self.stack, self.store, self.account = stack, store, account
        for db in (ACCOUNTS_DB, account_db(account.id)):
            doc = store.get(db, account.id)
            store.save(db, {**doc, "realm": REALM})
        self.devices = DocumentService(store, DEVICES)
        self.users = DocumentService(store, USERS)
        self.groups = DocumentService(store, GROUPS)

    def user(self, first: str) -> str:
        data = {"first_name": first, "last_name": "Example", "username": first.lower()}
        return self.users.create(self.account.id, data)["_id"]

    def phone(self, username: str, owner: str | None = None, register: bool = True) -> str:
        data: dict[str, Any] = {"name": f"{username} desk", "sip": {"username": username}}
        if owner:
            data["owner_id"] = owner
        device_id = self.devices.create(self.account.id, data)["_id"]
        if register:
            self.stack.emulator.register(username, realm=REALM)
            key = registration_key(self.stack.settings.namespace, REALM, username)
            client = self.stack_redis()
            wait_for(lambda: client.get(key), 15, f"{username}'s registration")
        return device_id

    def stack_redis(self):
        from kazoo_tasks import services

        return services.redis_client(self.stack.settings)

    def far_end(self, username: str, **rule: Any) -> None:
        self.stack.emulator.set_endpoint(f"sofia/*/{username}@*", **rule)

    def call(self, number: str, flow: dict[str, Any]):
        self.account.callflow([number], flow)
        return self.stack.emulator.place_call(number, variables=self.account.variables)


@pytest.fixture
def office(stack, store, account) -> Office:
    return Office(stack, store, account)


def leg_cdrs(account, call) -> list[dict]:
    return [account.wait_cdr(leg.uuid) for leg in call.legs]


def test_given_a_registered_device_that_answers_then_the_caller_is_bridged_and_both_legs_have_cdrs(
    office: Office, account
):
    device_id = office.phone("1001")
    office.far_end("1001", answer_after=0.2, hangup_after=0.5)

    call = office.call("3001", node("device", {"id": device_id}))

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    bridges = [c for c in call.commands if c.app == "bridge"]
    assert len(bridges) == 1 and "1001@" in bridges[0].args
    assert len(call.legs) == 1
    b_leg = call.legs[0]
    cdr = account.wait_cdr(call.uuid)
    assert cdr["other_leg_call_id"] == b_leg.uuid
    assert any("answered by" in (e.get("note") or "") for e in cdr["trace"])
    b_cdr = account.wait_cdr(b_leg.uuid)
    assert b_cdr["other_leg_call_id"] == call.uuid
    assert b_cdr["call_direction"] == "outbound" and b_cdr["billing_seconds"] >= 0


@pytest.mark.parametrize(
    ("children", "taken"),
    [({"USER_BUSY": "busy"}, "busy"), ({"486": "busy"}, "busy"), ({}, "_")],
    ids=["by-cause", "by-sip-code", "wildcard"],
)
def test_given_a_busy_device_then_the_failure_child_is_the_cause_then_the_sip_code_then_wildcard(
    office: Office, account, children, taken
):
    device_id = office.phone("1002")
    office.far_end("1002", busy=True)
    busy = node("play", {"id": BUSY_TONE})
    flow = node("device", {"id": device_id})
    flow["children"] = {key: busy for key in children} or {}
    flow["children"]["_"] = node("play", {"id": TONE})

    call = office.call("3002", flow)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    played = [c.args for c in call.commands if c.app == "playback"]
    assert played == ([BUSY_TONE] if taken == "busy" else [TONE])
    cdr = account.wait_cdr(call.uuid)
    assert any("USER_BUSY (sip 486)" in (e.get("note") or "") for e in cdr["trace"])


def test_given_an_unregistered_device_then_user_not_registered_is_taken_without_a_bridge(
    office: Office, account
):
    device_id = office.phone("1003", register=False)
    flow = node("device", {"id": device_id})
    flow["children"] = {"USER_NOT_REGISTERED": node("play", {"id": BUSY_TONE})}

    call = office.call("3003", flow)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [c.app for c in call.commands if c.kind == "execute"] == ["answer", "playback"]


def test_given_a_user_with_two_phones_when_one_answers_then_the_other_is_cancelled(
    office: Office, account
):
    owner = office.user("Bob")
    office.phone("1011", owner)
    office.phone("1012", owner)
    office.far_end("1011", answer_after=0.6, hangup_after=0.5)
    office.far_end("1012", answer_after=0.1, hangup_after=0.5)

    call = office.call("3011", node("user", {"id": owner}))

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    wait_for(lambda: len(call.legs) == 2, 10, "both legs")
    causes = sorted(leg.wait_hangup(timeout=10) for leg in call.legs)
    assert causes == ["LOSE_RACE", "NORMAL_CLEARING"]
    cdrs = leg_cdrs(account, call)
    assert sorted(c["hangup_cause"] for c in cdrs) == causes
    assert {c["other_leg_call_id"] for c in cdrs} == {call.uuid}


def test_given_phones_ringing_when_the_caller_hangs_up_then_every_leg_is_cancelled(
    office: Office, account
):
    owner = office.user("Carol")
    office.phone("1021", owner)
    office.phone("1022", owner)
    office.far_end("1021", no_answer=True)
    office.far_end("1022", no_answer=True)
    office.account.callflow(["3021"], node("user", {"id": owner, "timeout": 60}))
    call = office.stack.emulator.place_call("3021", variables=account.variables)
    wait_for(lambda: len(call.legs) == 2, 15, "both phones ringing")

    call.hangup("NORMAL_CLEARING")

    assert sorted(leg.wait_hangup(timeout=10) for leg in call.legs) == ["ORIGINATOR_CANCEL"] * 2
    assert account.wait_cdr(call.uuid)["hangup_cause"] == "NORMAL_CLEARING"
    assert [c["hangup_cause"] for c in leg_cdrs(account, call)] == ["ORIGINATOR_CANCEL"] * 2


def test_given_a_single_strategy_ring_group_when_the_first_is_busy_then_the_second_rings(
    office: Office, account
):
    first, second = office.phone("1031"), office.phone("1032")
    office.far_end("1031", busy=True)
    office.far_end("1032", answer_after=0.1, hangup_after=0.3)
    members = [
        {"id": first, "endpoint_type": "device"},
        {"id": second, "endpoint_type": "device"},
    ]

    call = office.call("3031", node("ring_group", {"endpoints": members, "strategy": "single"}))

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    bridges = [c.args for c in call.commands if c.app == "bridge"]
    assert len(bridges) == 1 and "|" in bridges[0]
    assert sorted(leg.wait_hangup(timeout=10) for leg in call.legs) == [
        "NORMAL_CLEARING",
        "USER_BUSY",
    ]


def test_given_a_ring_group_nobody_answers_when_it_repeats_then_it_rings_again_then_goes_on(
    office: Office, account
):
    member = office.phone("1041")
    office.far_end("1041", no_answer=True)
    data = {"endpoints": [{"id": member, "timeout": 1}], "repeats": 2, "timeout": 1}

    call = office.call("3041", node("ring_group", data, then=node("play", {"id": TONE})))

    assert call.wait_hangup(timeout=60) == "NORMAL_CLEARING"
    apps = [c.app for c in call.commands if c.kind == "execute"]
    assert apps.count("bridge") == 2 and apps[-1] == "playback"


def test_given_a_group_document_when_the_group_module_rings_it_then_its_members_ring(
    office: Office, account
):
    owner = office.user("Dan")
    office.phone("1051", owner)
    desk = office.phone("1052")
    office.far_end("1051", no_answer=True)
    office.far_end("1052", answer_after=0.1, hangup_after=0.3)
    members = {owner: {"type": "user"}, desk: {"type": "device"}}
    group = office.groups.create(account.id, {"name": "Sales", "endpoints": members})

    call = office.call("3051", node("group", {"id": group["_id"]}))

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    bridge = next(c.args for c in call.commands if c.app == "bridge")
    assert "1051@" in bridge and "1052@" in bridge and "," in bridge


@pytest.mark.faults
def test_given_100_calls_to_a_ring_group_of_three_when_workers_are_sigkilled_then_each_reaches_exactly_one_phone(  # noqa: E501
    stack_factory, store, account
):
    stack = stack_factory(workers=2, concurrency=2, time_scale=0.05)
    office = Office(stack, store, account)
    phones = [office.phone(name) for name in ("2001", "2002", "2003")]
    office.far_end("2001", answer_after=(0.0, 2.0), hangup_after=1.0)
    office.far_end("2002", reject=486)
    office.far_end("2003", no_answer=True)
    members = [{"id": phone, "endpoint_type": "device"} for phone in phones]
    account.callflow(["3100"], node("ring_group", {"endpoints": members, "timeout": 30}))
    rng = random.Random(11)

    placing = stack.emulator.place_calls(
        100, rate=50, destination="3100", variables=account.variables
    )
    for _ in range(4):
        time.sleep(0.7)
        worker = rng.choice([w for w in stack.workers if w.alive()])
        victim = rng.choice(worker.children() or [None])
        if victim is not None:
            os.kill(victim, signal.SIGKILL)
    calls = placing.result(120)

    stuck = stuck_calls(calls, 120)
    assert not stuck, f"{len(stuck)} calls stuck: {list(stuck.items())[:3]}"
    for call in calls:
        assert call.hangup_cause == "NORMAL_CLEARING"
        causes = sorted(leg.wait_hangup(timeout=30) for leg in call.legs)
        assert causes == ["LOSE_RACE", "NORMAL_CLEARING", "USER_BUSY"], (call.uuid, causes)
        assert not any(leg.is_up for leg in call.legs)
    ids = [c.event_uuid for call in calls for c in call.commands if c.event_uuid]
    assert len(ids) == len(set(ids)), "a command reached the switch twice"
    wait_for(
        lambda: all(account.cdr(leg.uuid) for call in calls for leg in call.legs),
        120,
        "every B leg's CDR",
    )


def test_given_a_call_parked_by_the_phone_that_answered_it_when_nobody_retrieves_it_then_that_phone_is_rung_back(  # noqa: E501
    office: Office, account
):
    device_id = office.phone("1301")
    office.account.callflow(
        ["6110"], node("park", {"slot": "110", "slots": {"110": {"ringback_timeout": 1000}}})
    )
    # the phone answers, then transfers the caller to the park number (SIP REFER)
    office.far_end(
        "1301", answer_after=0.2, script=[s.on_event("CALL_UPDATE").wait(5).refer("6110")]
    )

    call = office.call("3301", node("device", {"id": device_id}))

    first_leg = call.wait_for_leg(1, timeout=30)
    assert first_leg.wait_hangup(timeout=30) == "BLIND_TRANSFER"
    office.far_end("1301", answer_after=0.2, hangup_after=5)  # rung back: answers, talks
    call.wait_for_command("endless_playback", timeout=30)
    ring_back = call.wait_for_leg(2, timeout=30)

    assert ring_back.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    apps = [c.app for c in call.commands if c.kind == "execute"]
    assert apps[: apps.index("endless_playback") + 1][-3:] == ["bridge", "say", "endless_playback"]
    assert apps.count("bridge") == 2 and apps[-1] == "bridge"
    assert "1301@" in [c for c in call.commands if c.app == "bridge"][-1].args
    notes = [e.get("note") or "" for e in account.wait_cdr(call.uuid)["trace"]]
    assert any(n.startswith("parked in slot 110, parker ") for n in notes), notes
    assert any(n.startswith("ring-back answered by") for n in notes), [n for n in notes if n]
    assert account.wait_cdr(first_leg.uuid)["hangup_cause"] == "BLIND_TRANSFER"
