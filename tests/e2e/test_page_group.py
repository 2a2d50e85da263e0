"""Paging on the whole pipeline (Kazoo's cf_page_group): a caller dials the page group;
the members' phones are called with auto-answer and join a page on the switch's
mod_conference, muted for a one-way page, speaking for a two-way one; the calling phone
is not paged; when the caller hangs up the page ends and every phone is let go. A group
with nobody to page goes on to the next node; bad data is refused at save time."""

from __future__ import annotations

import time

import pytest

from api.errors import ValidationFailed
from callflow.modules.page_group import page_name
from kazoo_tasks.conferences import participants
from kazoo_tasks.keys import registration_key
from tests.e2e.conftest import FLOOR_REALM, TONE, from_phone, node
from tests.waiting import wait_for


@pytest.fixture
def desks(stack, redis_client, floor) -> dict[str, str]:
    """The floor's agent phone (7101) and the supervisor's (7102), both registered."""
    stack.emulator.register("7102", realm=FLOOR_REALM)
    stack.emulator.set_endpoint("sofia/*/7102@*", answer_after=0.2)
    key = registration_key(stack.settings.namespace, FLOOR_REALM, "7102")
    wait_for(lambda: redis_client.get(key), 15, "the supervisor's registration")
    return floor


def members(stack, redis_client, room: str, count: int) -> list[dict]:
    ns = stack.settings.namespace
    return wait_for(
        lambda: (
            ((found := participants(redis_client, ns, room, time.time())) and len(found) == count)
            and found
        ),
        30,
        f"{count} members in the page",
    )


@pytest.mark.parametrize("audio", ["one-way", "two-way"])
def test_given_a_page_group_when_called_then_the_phones_join_the_page_until_the_caller_hangs_up(
    stack, account, redis_client, desks, audio
):
    endpoints = [
        {"endpoint_type": "user", "id": desks["agent"]},
        {"endpoint_type": "device", "id": desks["chief"]},
    ]
    account.callflow(["2500"], node("page_group", {"endpoints": endpoints, "audio": audio}))

    caller = stack.emulator.place_call("2500", variables=account.variables)

    page = caller.wait_for_command("conference", timeout=30).args
    assert page == f"{page_name(caller.uuid)}@page"
    found = members(stack, redis_client, page_name(caller.uuid), 3)
    phones = [m for m in found if m["call_id"] != caller.uuid]
    assert {m["speak"] for m in phones} == {audio == "two-way"}
    outcall = next(c.args for c in caller.commands if c.app == "conference_set_auto_outcall")
    assert outcall.count("{^^;sip_invite_params=intercom=true;alert_info=intercom;") == 2
    assert ("set", f"api_hangup_hook=conference {page_name(caller.uuid)} kick all") in [
        (c.app, c.args) for c in caller.commands
    ]
    caller.hangup()
    wait_for(lambda: stack.emulator.live_channels == 0, 30, "every paged phone let go")
    notes = [t.get("note", "") for t in account.wait_cdr(caller.uuid)["trace"]]
    assert "page over" in notes


def test_given_the_only_member_is_the_caller_then_nobody_is_paged_and_the_flow_goes_on(
    stack, account, desks
):
    endpoints = [{"endpoint_type": "device", "id": desks["chief"]}]
    account.callflow(
        ["2501"], node("page_group", {"endpoints": endpoints}, then=node("play", {"id": TONE}))
    )

    caller = stack.emulator.place_call("2501", variables=from_phone(account, desks["chief"]))

    assert caller.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    apps = [c.app for c in caller.commands]
    assert "conference" not in apps and "playback" in apps
    assert "nobody to page" in [t.get("note", "") for t in account.wait_cdr(caller.uuid)["trace"]]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"endpoints": []}, "endpoints"),
        ({"endpoints": [{"endpoint_type": "queue", "id": "x"}]}, "endpoints"),
        ({"endpoints": [{"endpoint_type": "device", "id": "x"}], "audio": "loud"}, "audio"),
        ({}, "endpoints"),
    ],
)
def test_given_bad_page_group_data_when_saved_then_it_is_refused(account, data, field):
    with pytest.raises(ValidationFailed, match=f"flow.data.{field}"):
        account.callflow(["2502"], node("page_group", data))
