"""Conference rooms on the whole pipeline: callers dial a conference number, give their
PIN and join the room on the switch as moderator or member; the switch's conference
events make the room's participants known, and an admin sees and controls them through
the conferences API (mute, kick, play), only in her own account."""

from __future__ import annotations

import time

import pytest

from api.conferences.resource import SPEC as CONFERENCES
from api.documents import DocumentService
from api.errors import ValidationFailed
from callflow.modules.conference import ENTRY_TONE, NO_TONE, room_name
from kazoo_tasks.conferences import participants
from kazoo_tasks.esl.emulator import script as s
from tests.crossbar import Crossbar
from tests.e2e.conftest import SECOND_TONE as SECOND
from tests.e2e.conftest import TONE, Account, node
from tests.waiting import wait_for

PIN_PROMPT = "conference/conf-pin.wav"


def conference(store, account, **fields) -> str:
    data = {"name": "Weekly sync", "conference_numbers": ["3000"], **fields}
    return DocumentService(store, CONFERENCES).create(account.id, data)["_id"]


def pin(digits: str) -> list[s.Step]:
    return [s.on_app("play_and_get_digits").wait(5).press(digits)]


def joined(call) -> str:
    return call.wait_for_command("conference", timeout=30).args


def members(redis_client, stack, room: str, count: int) -> list[dict]:
    ns = stack.settings.namespace
    return wait_for(
        lambda: (
            (found := participants(redis_client, ns, room, time.time()))
            and len(found) == count
            and found
        ),
        30,
        f"{count} participants in {room}",
    )


def test_given_a_room_with_pins_when_a_moderator_and_a_member_dial_in_then_both_join_with_their_roles(  # noqa: E501
    stack, store, account, redis_client
):
    room_id = conference(
        store,
        account,
        member={"pins": ["1111"], "join_muted": True},
        moderator={"pins": ["9999"]},
        play_entry_tone=True,
        max_participants=10,
    )
    account.callflow(["3000"], node("conference", {"id": room_id}))
    room = room_name(account.id, room_id)

    chair = stack.emulator.place_call("3000", variables=account.variables, script=pin("9999#"))
    assert joined(chair) == f"{room}@default+flags{{moderator}}"
    guest = stack.emulator.place_call(
        "3000", variables=account.variables, script=pin("1111#"), caller_id_number="+15550002"
    )
    assert joined(guest) == f"{room}@default+flags{{mute}}"

    found = members(redis_client, stack, room, 2)
    assert [(m["participant_id"], m["is_moderator"], m["speak"]) for m in found] == [
        (1, True, True),
        (2, False, False),
    ]
    assert [m["call_id"] for m in found] == [chair.uuid, guest.uuid]
    assert found[1]["caller_id_number"] == "+15550002"
    sent = [(c.app, c.args) for c in chair.commands if c.kind == "execute"]
    assert sent[:2] == [("answer", ""), ("playback", "conference/conf-welcome.wav")]
    assert ("set", f"conference_enter_sound={ENTRY_TONE}") in sent
    assert ("set", "conference_max_members=10") in sent
    assert sent[2][0] == "play_and_get_digits" and PIN_PROMPT in sent[2][1]

    guest.hangup()
    members(redis_client, stack, room, 1)
    chair.hangup()
    wait_for(
        lambda: participants(redis_client, stack.settings.namespace, room, time.time()) == [],
        30,
        "an empty room",
    )
    notes = [e.get("note", "") for e in account.wait_cdr(chair.uuid)["trace"]]
    assert f"left {room} (member 1, moderator)" in notes


def test_given_three_wrong_pins_then_the_caller_is_not_let_in(stack, store, account):
    room_id = conference(store, account, member={"pins": ["1111"]})
    account.callflow(["3001"], node("conference", {"id": room_id}))
    wrong = [s.on_app("play_and_get_digits", nth=n).wait(5).press("2222#") for n in (1, 2, 3)]

    call = stack.emulator.place_call("3001", variables=account.variables, script=wrong)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    apps = [c.app for c in call.commands if c.kind == "execute"]
    assert "conference" not in apps
    assert apps.count("play_and_get_digits") == 3
    assert apps.count("playback") == 1 + 3 + 1  # welcome, bad pin x3, goodbye


def test_given_an_inline_room_that_is_full_then_the_next_caller_hears_so_and_is_hung_up(
    stack, account
):
    config = {"max_participants": 1, "play_exit_tone": False, "max_members_media": SECOND}
    account.callflow(
        ["3002"],
        node(
            "conference", {"config": config, "moderator": False, "welcome_prompt": {"play": False}}
        ),
    )
    first = stack.emulator.place_call("3002", variables=account.variables)
    room = joined(first).split("@")[0]
    assert room.startswith(f"{account.id}_")

    second = stack.emulator.place_call("3002", variables=account.variables)

    assert second.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    sent = [(c.app, c.args) for c in second.commands if c.kind == "execute"]
    assert sent == [
        ("answer", ""),
        ("set", f"conference_exit_sound={NO_TONE}"),
        ("set", "conference_max_members=1"),
        ("conference", f"{room}@default+flags{{mute}}"),
        ("playback", SECOND),
    ]
    assert first.is_up
    first.hangup()


def test_given_a_missing_room_then_the_flow_goes_on(stack, account):
    account.callflow(
        ["3003"], node("conference", {"id": "0" * 32}, then=node("play", {"id": SECOND}))
    )

    call = stack.emulator.place_call("3003", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [c.app for c in call.commands if c.kind == "execute"] == ["answer", "playback"]


def test_given_bad_conference_data_when_saved_then_it_is_refused(account):
    with pytest.raises(ValidationFailed, match="flow.data.config"):
        account.callflow(["3004"], node("conference", {"config": {"member": {"pins": ["12a"]}}}))
    with pytest.raises(ValidationFailed, match="flow.data.id"):
        account.callflow(["3004"], node("conference", {"id": "short"}))


def test_given_callers_in_a_room_when_the_admin_mutes_plays_and_kicks_through_the_api_then_the_switch_does_it(  # noqa: E501
    stack, store, account, redis_client, api_server
):
    room_id = conference(store, account, conference_numbers=["3100"])
    account.callflow(["3100"], node("conference", {"id": room_id, "moderator": False}))
    admin = Crossbar(api_server.url)
    admin.login(account.api_key)
    url = f"/accounts/{account.id}/conferences/{room_id}"
    room = room_name(account.id, room_id)
    assert admin.put(url, {"action": "play", "data": {"media_id": TONE}}).status_code == 409

    first = stack.emulator.place_call("3100", variables=account.variables)
    joined(first)
    second = stack.emulator.place_call("3100", variables=account.variables)
    joined(second)
    members(redis_client, stack, room, 2)

    shown = admin.get(url).json()["data"]
    assert shown["name"] == "Weekly sync"
    assert shown["_read_only"]["members"] == 2
    assert [p["call_id"] for p in shown["_read_only"]["participants"]] == [first.uuid, second.uuid]

    unmuted = admin.put(f"{url}/participants/2", {"action": "unmute"})
    assert unmuted.status_code == 200, unmuted.text
    wait_for(
        lambda: (
            [p["speak"] for p in admin.get(f"{url}/participants").json()["data"]] == [False, True]
        ),
        30,
        "participant 2 unmuted on the switch",
    )
    played = admin.request("PUT", url, json={"action": "play", "data": {"media_id": TONE}})
    assert played.status_code == 200, played.text
    second.wait_for_command("conference", timeout=30)
    assert wait_for(
        lambda: [c.args for c in first.commands if c.kind == "api" and "play" in c.args],
        30,
        "the play on the switch",
    ) == [f"{room} play {TONE}"]
    to_one = admin.put(f"{url}/participants/1", {"action": "play", "data": {"media_id": TONE}})
    assert to_one.status_code == 200, to_one.text
    assert to_one.json()["data"]["command"] == f"conference {room} play {TONE} 1"

    locked = admin.request("PUT", url, json={"action": "lock"})
    assert locked.status_code == 200, locked.text
    wait_for(
        lambda: f"{room} lock" in [c.args for c in first.commands if c.kind == "api"],
        30,
        "the room locked on the switch",
    )
    late = stack.emulator.place_call("3100", variables=account.variables)
    assert late.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [c.args for c in late.commands if c.app == "playback"][-1] == (
        "conference/conf-locked.wav"
    )
    assert len(admin.get(f"{url}/participants").json()["data"]) == 2

    bad = admin.put(url, {"action": "dance"})
    assert bad.status_code == 400
    assert "action" in bad.json()["data"]
    assert admin.put(f"{url}/participants/7", {"action": "kick"}).status_code == 404
    assert admin.put(f"{url}/participants", {"action": "play"}).status_code == 400
    outsider = Crossbar(api_server.url)
    outsider.login(Account(store, "Someone else").api_key)
    assert outsider.put(f"{url}/participants", {"action": "kick"}).status_code == 403
    assert outsider.get(url).status_code == 403

    kicked = admin.put(f"{url}/participants", {"action": "kick"})
    assert kicked.status_code == 200, kicked.text
    assert first.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert second.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    wait_for(lambda: admin.get(f"{url}/participants").json()["data"] == [], 30, "an empty room")


def test_given_conference_feature_when_a_caller_dials_a_rooms_id_then_they_join_that_room(
    stack, store, account
):
    room_id = conference(store, account, member={"join_muted": False})
    flow = node("conference_feature", {"moderator": True})
    account.callflows.create(account.id, {"numbers": [], "patterns": ["^(.{32})$"], "flow": flow})

    call = stack.emulator.place_call(room_id, variables=account.variables)

    assert joined(call) == f"{room_name(account.id, room_id)}@default+flags{{moderator}}"
    call.hangup()
    assert call.wait_hangup(timeout=30)


def test_given_conference_feature_when_the_id_dialed_is_no_room_then_the_flow_goes_on(
    stack, account
):
    flow = node("conference_feature", then=node("play", {"id": TONE}))
    account.callflows.create(account.id, {"numbers": [], "patterns": ["^77(.*)$"], "flow": flow})

    for dialed, note in [
        ("77" + "0" * 32, "no conference " + "0" * 32),
        ("77short", "no conference id dialed ('short')"),
    ]:
        call = stack.emulator.place_call(dialed, variables=account.variables)
        assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
        assert "playback" in [c.app for c in call.commands]
        notes = [e.get("note") for e in account.wait_cdr(call.uuid)["trace"]]
        assert note in notes
