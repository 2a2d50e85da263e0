"""The emulator's mod_conference against the real FreeSWITCH 1.10.12 conference transcript:
two callers join a room, the client lists, plays into, mutes, unmutes and kicks them; the
replies and every ``conference::maintenance`` event (header names in order, no variables)
are those the real switch sent."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from kazoo_tasks.esl.emulator import Emulator
from kazoo_tasks.esl.emulator.client import EslClient
from kazoo_tasks.esl.frames import PlainEvent
from tests.emulator.replay import decode, header_names, is_event, load_frames

ROOM = "fs_peer_room"
MAINTENANCE = "conference::maintenance"


def real_events() -> dict[str, PlainEvent]:
    """The first real conference::maintenance event of each Action, of the SIP caller
    when it has a member (the other member is a loopback channel, whose caller profile
    has other headers; the emulator's callers are SIP callers)."""
    found: dict[str, PlainEvent] = {}
    for frame in load_frames("conference.plain"):
        if is_event(frame):
            event = decode(frame)
            channel = event.headers.get("Channel-Name", "sofia/")
            if event.headers.get("Event-Subclass") == MAINTENANCE and channel.startswith("sofia/"):
                found.setdefault(event.headers["Action"], event)
    return found


def real_replies() -> list[str]:
    frames = load_frames("conference.plain")
    return [f.body.decode() for f in frames if f.content_type == "api/response"]


@pytest.fixture
def client(park_emulator: Emulator, esl: Callable[..., EslClient]) -> Iterator[EslClient]:
    connection = esl("CHANNEL_EXECUTE_COMPLETE", "CUSTOM", MAINTENANCE)
    yield connection


def maintenance(client: EslClient, action: str, timeout: float = 5) -> PlainEvent:
    while True:
        event = client.next_event(timeout=timeout)
        assert event is not None, f"no {action} event"
        if event.headers.get("Event-Subclass") == MAINTENANCE and event.headers["Action"] == action:
            return event


def join(emu: Emulator, client: EslClient, arg: str, number: str = "+14155550100"):
    call = emu.place_call("1000", caller_id_number=number)
    call.wait_for_event("CHANNEL_PARK", timeout=5)
    client.execute(call.uuid, "conference", arg)
    return call, maintenance(client, "add-member")


def test_given_two_callers_in_a_room_then_events_and_replies_are_the_real_switchs(
    park_emulator: Emulator, client: EslClient
):
    real = real_events()
    first, created_and_added = join(park_emulator, client, f"{ROOM}@default")
    second, added = join(park_emulator, client, f"{ROOM}@default", "8002")

    assert header_names(added) == header_names(real["add-member"])
    assert [n for n, _ in added.pairs if n.startswith("variable_")] == []
    assert added.headers["Member-ID"] == "2" and added.headers["Conference-Size"] == "2"
    assert added.headers["Unique-ID"] == second.uuid

    listing = client.api("conference list")
    assert (
        re.sub(r"[0-9a-f-]{36}", "U", listing).splitlines()[0]
        == (real_replies()[1].splitlines()[0])
    )
    assert [line.split(";")[0] for line in listing.splitlines()[1:]] == ["2", "1"]
    assert listing.splitlines()[2].split(";")[2] == first.uuid

    played = client.api(f"conference {ROOM} play tone_stream://%(500,0,440);loops=1")
    assert played == real_replies()[3]
    assert header_names(maintenance(client, "play-file")) == header_names(real["play-file"])
    assert header_names(maintenance(client, "play-file-done")) == header_names(
        real["play-file-done"]
    )

    assert client.api(f"conference {ROOM} mute all") == "+OK mute 2\n+OK mute 1\n"
    muted = maintenance(client, "mute-member")
    assert header_names(muted) == header_names(real["mute-member"])
    assert muted.headers["Speak"] == "false"
    assert client.api(f"conference {ROOM} unmute 1") == "+OK unmute 1\n"
    assert client.api(f"conference {ROOM} kick all") == "+OK kicked 2\n+OK kicked 1\n"
    gone = maintenance(client, "del-member")
    assert header_names(gone) == header_names(real["del-member"])
    destroyed = maintenance(client, "conference-destroy")
    assert header_names(destroyed) == header_names(real["conference-destroy"])
    assert client.api(f"conference {ROOM} list") == f"-ERR Conference {ROOM} not found\n"
    assert first.is_up and second.is_up  # kicked callers are back in park, as in the transcript
    first.hangup()
    second.hangup()


def test_given_a_full_room_then_the_next_caller_is_not_added(
    park_emulator: Emulator, client: EslClient
):
    first = park_emulator.place_call("1000", variables={"conference_max_members": "1"})
    first.wait_for_event("CHANNEL_PARK", timeout=5)
    client.execute(first.uuid, "conference", "small@default+flags{moderator|mute}")
    added = maintenance(client, "add-member")
    assert (added.headers["Member-Type"], added.headers["Speak"]) == ("moderator", "false")

    second = park_emulator.place_call("1000")
    second.wait_for_event("CHANNEL_PARK", timeout=5)
    client.execute(second.uuid, "conference", "small@default")
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", uuid_=second.uuid, timeout=5)

    assert done.headers.get("variable_conference_member_id") is None
    assert "moderator" in client.api("conference small list").split(";")[5]
    first.hangup()
    second.hangup()


def test_given_a_page_when_the_caller_joins_then_the_phones_join_muted_and_leave_with_it(
    park_emulator: Emulator, client: EslClient
):
    """Kazoo's page (ecallmgr's ``page`` command) as FreeSWITCH runs it, from its source:
    the auto-outcall list is called when the caller joins; each answered phone joins the
    room with ``conference_utils_auto_outcall_flags``; the caller's ``api_hangup_hook``
    kicks them all when the caller hangs up."""
    park_emulator.set_endpoint("sofia/*/desk*@*", answer_after=0.1)
    page = "page_0a1b"
    caller = park_emulator.place_call("1000", caller_id_number="+14155550100")
    caller.wait_for_event("CHANNEL_PARK", timeout=5)
    variables = (
        f"api_hangup_hook=conference {page} kick all;conference_auto_outcall_profile=page;"
        "conference_auto_outcall_delimiter=|;conference_utils_auto_outcall_flags=mute;"
        "conference_auto_outcall_caller_id_name=Front Desk;conference_auto_outcall_timeout=5"
    )
    for assignment in variables.split(";"):
        client.execute(caller.uuid, "set", assignment)
    auto = "{^^;sip_invite_params=intercom=true;alert_info=intercom}"
    phones = "|".join(f"{auto}sofia/sipinterface_1/desk{n}@10.0.0.{n}" for n in (1, 2))

    client.execute(caller.uuid, "conference_set_auto_outcall", phones)
    client.execute(caller.uuid, "conference", f"{page}@page")

    assert maintenance(client, "add-member").headers["Member-Type"] == "member"
    joined = [maintenance(client, "add-member", timeout=10) for _ in range(2)]
    assert {e.headers["Caller-Destination-Number"] for e in joined} == {"desk1", "desk2"}
    assert {e.headers["Speak"] for e in joined} == {"false"}
    # an originate without a caller flips the caller id on answer (as the api's does)
    assert {e.headers["Caller-Callee-ID-Name"] for e in joined} == {"Front Desk"}
    assert len(client.api(f"conference {page} list").strip().splitlines()) == 3
    caller.hangup()
    maintenance(client, "conference-destroy", timeout=10)
    assert park_emulator.live_channels == 0
