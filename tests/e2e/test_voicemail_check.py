"""``voicemail`` check on the whole pipeline: logging in (owner, PIN with retries, box
number), the main menu, listening to new and saved messages, saving, deleting, replaying,
and recording a new greeting, driven by scripted callers pressing Kazoo's keys."""

from __future__ import annotations

import pytest

from api.vmboxes.service import save_message
from callflow.voicemail import prompts
from kazoo_tasks.docstore import account_db
from kazoo_tasks.esl.emulator import script as s
from kazoo_tasks.esl.emulator.httpfiles import silence_wav
from tests.e2e.conftest import TONE, node
from tests.e2e.voicemail_kit import Office, applications, played, start_office

NUMBER = "*97"


@pytest.fixture
def office(settings, store, account, stack_factory):
    yield from start_office(settings, store, account, stack_factory)


@pytest.fixture
def owner(office: Office) -> str:
    return office.account_user()


def check_flow(box: str | None = None) -> dict:
    data = {"action": "check", **({"id": box} if box else {})}
    return node("voicemail", data, then=node("play", {"id": TONE}))


def presses(*keys: str) -> list:
    """Press ``keys[n]`` at the n-th digit collection."""
    return [
        s.on_app("play_and_get_digits", n).wait(0.2).press(key)
        for n, key in enumerate(keys, start=1)
    ]


def leave(office: Office, box: str, count: int) -> list[str]:
    return [
        save_message(
            office.store, office.account.id, box, silence_wav(1.0), "audio/x-wav", {"length": 1000}
        )["_id"]
        for _ in range(count)
    ]


def folders(office: Office, box: str) -> dict[str, str]:
    return {m["media_id"]: m["folder"] for m in office.messages(box)}


def message_plays(call, ids: list[str]) -> list[str]:
    """Which messages were played, in order."""
    return [next(i for i in ids if i in url) for url in played(call) if any(i in url for i in ids)]


def test_given_the_owner_when_they_hear_new_messages_then_delete_one_and_save_the_other(
    office: Office, owner: str
):
    box = office.box("3000", owner_id=owner, pin="1234")
    ids = leave(office, box, 2)
    office.account.callflow([NUMBER], check_flow(box))

    call = office.call(
        NUMBER, script=presses("1", "7", "1", "#"), variables={"ecallmgr_Owner-ID": owner}
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    first, second = message_plays(call, ids)
    assert folders(office, box) == {first: "deleted", second: "saved"}
    heard = played(call)
    assert heard[:2] == [prompts.message_count(2, "new"), prompts.message_count(0, "saved")]
    assert prompts.prompt("vm-deleted") in heard and prompts.prompt("vm-saved") in heard
    assert heard[-1] == TONE  # "#" left the box: the flow went on
    assert not any(
        app == "play_and_get_digits" and "enter_pass" in a for app, a in call.applications
    )


def test_given_a_caller_with_the_pin_at_the_second_try_then_they_hear_saved_messages_and_replay(
    office: Office,
):
    box = office.box("3001", pin="1234")
    ids = leave(office, box, 1)
    office.api.post(
        f"/accounts/{office.account.id}/vmboxes/{box}/messages/{ids[0]}", {"folder": "saved"}
    )
    office.account.callflow([NUMBER], check_flow(box))

    call = office.call(NUMBER, script=presses("9999#", "1234#", "2", "2", "0", "#"))

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert message_plays(call, ids) == [ids[0], ids[0]]  # played, then replayed
    heard = played(call)
    assert heard.count(prompts.prompt("vm-fail_auth")) == 1
    assert folders(office, box) == {ids[0]: "saved"}
    trace = office.account.wait_cdr(call.uuid)["trace"]
    notes = [e.get("note") for e in trace if e.get("step") == "note"]
    assert "Collect: done ****" in notes and "1234" not in str(notes)


def test_given_three_wrong_pins_then_the_caller_is_refused_and_the_flow_continues(
    office: Office,
):
    box = office.box("3002", pin="1234")
    office.account.callflow([NUMBER], check_flow(box))

    call = office.call(NUMBER, script=presses("1111#", "2222#", "3333#"))

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    heard = played(call)
    assert heard.count(prompts.prompt("vm-fail_auth")) == 3
    assert heard[-2:] == [prompts.prompt("vm-abort"), TONE]


def test_given_a_box_without_a_pin_when_someone_else_checks_it_then_no_access(office: Office):
    box = office.box("3003")
    office.account.callflow([NUMBER], check_flow(box))

    call = office.call(NUMBER)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert played(call) == [prompts.prompt("vm-no_access"), TONE]


def test_given_no_box_in_the_node_when_the_caller_enters_its_number_and_pin_then_they_get_in(
    office: Office,
):
    box = office.box("3004", pin="4321")
    leave(office, box, 1)
    office.account.callflow([NUMBER], check_flow())

    call = office.call(NUMBER, script=presses("3999#", "3004#", "4321#", "#"))

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    heard = played(call)
    assert heard.count(prompts.prompt("menu-invalid_entry")) == 1
    assert prompts.message_count(1, "new") in heard


def test_given_the_owner_when_they_record_a_new_greeting_then_callers_hear_it(
    office: Office, owner: str
):
    box = office.box("3005", owner_id=owner)
    office.account.callflow([NUMBER], check_flow(box))
    office.account.callflow(["3005"], node("voicemail", {"id": box}))

    call = office.call(
        NUMBER,
        script=[
            *presses("5", "1", "1", "0", "#"),
            s.on_app("record").wait(3).press("#"),
        ],
        variables={"ecallmgr_Owner-ID": owner},
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    media_id = office.store.get(account_db(office.account.id), box)["media"]["unavailable"]
    greeting = office.store.get(account_db(office.account.id), media_id)
    assert greeting["pvt_type"] == "media" and "pvt_deleted" not in greeting
    assert greeting["name"] == "mailbox 3005 unavailable greeting"
    office.wait_download(f"/media/{media_id}/raw")

    caller = office.call("3005", script=[s.on_app("record").hangup()])

    assert caller.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert media_id in applications(caller)[1][1]  # the greeting just recorded


def test_given_a_caller_who_hangs_up_in_the_menu_then_the_flow_stops(office: Office, owner: str):
    box = office.box("3006", owner_id=owner)
    office.account.callflow([NUMBER], check_flow(box))

    call = office.call(
        NUMBER,
        script=[s.on_app("play_and_get_digits").wait(0.2).hangup()],
        variables={"ecallmgr_Owner-ID": owner},
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert TONE not in played(call)
    trace = office.account.wait_cdr(call.uuid)["trace"]
    assert any(e.get("module") == "voicemail" and e.get("outcome") == "stop" for e in trace)


def test_given_the_owner_of_a_box_not_set_up_then_they_set_a_pin_and_a_greeting_first(
    office: Office, owner: str
):
    box = office.box("3007", owner_id=owner, is_setup=False)
    office.account.callflow([NUMBER], check_flow(box))

    call = office.call(
        NUMBER,
        script=[*presses("5678#", "5678#", "1", "#"), s.on_app("record").wait(2).press("#")],
        variables={"ecallmgr_Owner-ID": owner},
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    doc = office.store.get(account_db(office.account.id), box)
    assert doc["pin"] == "5678" and doc["is_setup"] is True
    assert doc["media"]["unavailable"]
    heard = played(call)
    assert heard.index(prompts.prompt("vm-pin_set")) < heard.index(prompts.BEEP)
    assert prompts.message_count(0, "new") in heard  # then the main menu


def test_given_a_box_not_configurable_then_the_settings_key_is_refused(office: Office, owner: str):
    box = office.box("3008", owner_id=owner, not_configurable=True)
    office.account.callflow([NUMBER], check_flow(box))

    call = office.call(
        NUMBER, script=presses("5", "5", "5", "5"), variables={"ecallmgr_Owner-ID": owner}
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    asked = [a for app, a in call.applications if app == "play_and_get_digits"]
    assert len(asked) == 4 and all("voicemail_menu:1:2:0:#" in a for a in asked)
    assert played(call)[-2:] == [prompts.prompt("vm-goodbye"), TONE]
