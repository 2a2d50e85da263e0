"""``voicemail`` compose on the whole pipeline: the caller hears the box's greeting and the
beep, the switch records to the API, and the message shows in the vmbox messages API
with its audio; each branch of leaving a message, and the bad-data path."""

from __future__ import annotations

import io
import wave

import pytest

from api.errors import ValidationFailed
from callflow.voicemail import prompts
from kazoo_tasks.docstore import account_db
from kazoo_tasks.esl.emulator import script as s
from tests.e2e.conftest import TONE, node
from tests.e2e.voicemail_kit import Office, applications, played, start_office

NUMBER = "4000"
GREETING_ID = "9e1f0c7b2a6d4e3f8a5b0c1d2e3f4a5b"


@pytest.fixture
def office(settings, store, account, stack_factory):
    yield from start_office(settings, store, account, stack_factory)


def vm(data: dict, then: dict | None = None) -> dict:
    return node("voicemail", data, then=then)


def test_given_a_box_when_the_caller_records_and_saves_then_the_message_is_listed_new_and_downloadable(  # noqa: E501
    office: Office,
):
    box = office.box("1000")
    office.account.callflow([NUMBER], vm({"id": box}))

    call = office.call(
        NUMBER,
        script=[
            s.on_app("record").wait(4).press("#"),
            s.on_app("play_and_get_digits").wait(0.5).press("1"),
        ],
        caller_id_number="+15550100",
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    apps = applications(call)
    assert apps[:4] == [
        ("answer", ""),
        ("playback", prompts.person_not_available("1000")),
        ("playback", prompts.prompt("vm-record_message")),
        ("playback", prompts.BEEP),
    ]
    record = apps[4]
    assert record[0] == "record" and record[1].endswith(" 500")
    assert "/switch/files/" in record[1] and ".mp3?" in record[1]
    assert played(call)[-2:] == [prompts.prompt("vm-saved"), prompts.prompt("vm-thank_you")]
    [message] = office.wait_messages(box, 1)
    assert message["folder"] == "new"
    assert message["call_id"] == call.uuid
    assert message["length"] >= 3500
    audio = office.wait_download(f"/vmboxes/{box}/messages/{message['media_id']}/raw")
    assert audio.headers["Content-Type"].startswith("audio/mpeg")
    with wave.open(io.BytesIO(audio.content)) as recorded:  # the emulator writes WAV bytes
        assert recorded.getnframes() > 3 * 8000


def test_given_a_caller_who_hangs_up_while_recording_then_the_message_is_kept(office: Office):
    box = office.box("1001", media_extension="wav")
    office.account.callflow([NUMBER], vm({"id": box}, then=node("play", {"id": TONE})))

    call = office.call(NUMBER, script=[s.on_app("record").wait(3).hangup()])

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    [message] = office.wait_messages(box, 1)
    assert message["length"] >= 2500 and message["folder"] == "new"
    audio = office.wait_download(f"/vmboxes/{box}/messages/{message['media_id']}/raw")
    assert audio.headers["Content-Type"].startswith("audio/x-wav")
    assert TONE not in played(call)  # the caller is gone: the flow stopped
    trace = office.account.wait_cdr(call.uuid)["trace"]
    assert any("kept" in (e.get("note") or "") for e in trace)


def test_given_a_too_short_recording_then_no_message_is_left_and_the_flow_goes_on(
    office: Office,
):
    box = office.box("1002")
    office.account.callflow([NUMBER], vm({"id": box}, then=node("play", {"id": TONE})))

    call = office.call(NUMBER, script=[s.on_app("record").wait(0.1).press("#")])

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert played(call)[-1] == TONE
    trace = office.account.wait_cdr(call.uuid)["trace"]
    assert any("too short" in (e.get("note") or "") for e in trace)
    assert office.messages(box) == []
    left = office.store.find(account_db(office.account.id), {"pvt_type": "mailbox_message"})
    assert [(m["pvt_deleted"], m["pvt_recording"]) for m in left] == [(True, "too_short")]


def test_given_the_review_when_the_caller_records_again_then_only_the_second_message_is_kept(
    office: Office,
):
    box = office.box("1003")
    office.account.callflow([NUMBER], vm({"id": box}))

    call = office.call(
        NUMBER,
        script=[
            s.on_app("record", 1).wait(2).press("#"),
            s.on_app("play_and_get_digits", 1).wait(0.2).press("3"),
            s.on_app("record", 2).wait(5).press("#"),
            s.on_app("play_and_get_digits", 2).wait(0.2).press("1"),
        ],
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [app for app, _ in applications(call)].count("record") == 2
    [message] = office.wait_messages(box, 1)
    assert message["length"] >= 4500  # the second one (5 s), not the first (2 s)


def test_given_a_box_with_its_own_greeting_and_no_instructions_then_the_caller_hears_it(
    office: Office,
):
    media = office.store.save(
        account_db(office.account.id),
        {"_id": GREETING_ID, "pvt_type": "media", "name": "my greeting"},
    )
    office.store.put_attachment(
        account_db(office.account.id), GREETING_ID, "audio", b"RIFF", "audio/x-wav", media["_rev"]
    )
    box = office.box("1004", media={"unavailable": GREETING_ID}, skip_instructions=True)
    office.account.callflow([NUMBER], vm({"id": box, "max_message_length": 30}))

    call = office.call(NUMBER, script=[s.on_app("record").hangup()])

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    apps = applications(call)
    assert apps[1][0] == "playback" and "/files/" in apps[1][1] and GREETING_ID in apps[1][1]
    assert apps[2] == ("playback", prompts.BEEP)
    assert apps[3][0] == "record" and apps[3][1].endswith(" 30")


def test_given_no_such_box_then_the_caller_is_told_and_the_flow_continues(office: Office):
    office.account.callflow([NUMBER], vm({"id": "no-such-box"}, then=node("play", {"id": TONE})))

    call = office.call(NUMBER)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert played(call) == [prompts.prompt("vm-not_available_no_voicemail"), TONE]


def test_given_a_pattern_capturing_the_box_number_then_that_box_takes_the_message(
    office: Office,
):
    box = office.box("1005")
    office.account.callflows.create(
        office.account.id,
        {"name": "vm by number", "patterns": ["^\\*7(\\d+)$"], "flow": vm({})},
    )

    call = office.call("*71005", script=[s.on_app("record").wait(2).hangup()])

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert len(office.wait_messages(box, 1)) == 1


def test_given_bad_voicemail_data_then_the_api_refuses_it_and_a_stored_one_goes_to_wildcard(
    office: Office,
):
    with pytest.raises(ValidationFailed) as refused:
        office.account.callflow([NUMBER], vm({"action": "listen"}))
    assert "flow.data.action" in refused.value.data
    db = account_db(office.account.id)
    office.store.save(
        db,
        {
            "_id": "cf-bad-vm",
            "pvt_type": "callflow",
            "numbers": ["4001"],
            "flow": vm({"max_message_length": "long"}, then=node("play", {"id": TONE})),
        },
    )

    call = office.call("4001")

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert played(call) == [TONE]
    trace = office.account.wait_cdr(call.uuid)["trace"]
    assert any("bad data" in (e.get("note") or "") for e in trace)


def test_given_a_key_star_during_the_greeting_then_the_caller_is_asked_the_pin(office: Office):
    box = office.box("1006", pin="1234")
    office.account.callflow([NUMBER], vm({"id": box}))

    call = office.call(
        NUMBER,
        script=[
            s.on_playback(1).wait(0.2).press("*"),
            s.on_app("play_and_get_digits", 1).wait(0.2).press("1234#"),
            s.on_app("play_and_get_digits", 2).wait(0.2).press("#"),
        ],
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    apps = applications(call)
    assert "record" not in [app for app, _ in apps]
    assert prompts.prompt("vm-enter_pass") in apps[2][1]
    assert prompts.message_count(0, "new") in played(call)


def test_given_the_owner_calling_their_own_box_then_they_check_it_instead(office: Office):
    user = office.account_user()
    box = office.box("1007", owner_id=user)
    office.account.callflow([NUMBER], vm({"id": box}))

    call = office.call(
        NUMBER,
        script=[s.on_app("play_and_get_digits").wait(0.2).press("#")],
        variables={"ecallmgr_Owner-ID": user},
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert "record" not in [app for app, _ in applications(call)]
    assert played(call)[0] == prompts.message_count(0, "new")
