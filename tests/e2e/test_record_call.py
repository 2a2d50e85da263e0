"""``record_call`` on the whole pipeline: the switch's ``record_session`` uploads to the
API, the recording becomes a ``call_recording`` document served by
``/v2/accounts/{id}/recordings``; stopped by a node or by the call's end, too short,
started on answer, and bad data."""

from __future__ import annotations

import pytest

from api.errors import ValidationFailed
from kazoo_tasks.docstore import account_db
from tests.e2e.conftest import TONE, node
from tests.e2e.voicemail_kit import Office, start_office
from tests.waiting import wait_for

NUMBER = "5000"
THREE_SECONDS = "tone_stream://%(3000,0,440)"


@pytest.fixture
def office(settings, store, account, stack_factory):
    yield from start_office(settings, store, account, stack_factory)


def recordings(office: Office) -> list[dict]:
    answer = office.api.get(f"/accounts/{office.account.id}/recordings")
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def wait_recording(office: Office) -> dict:
    [listed] = wait_for(lambda: recordings(office) or None, timeout=30, what="a recording")
    return office.api.get(f"/accounts/{office.account.id}/recordings/{listed['id']}").json()["data"]


def started_then(data: dict, then: dict) -> dict:
    return node("record_call", data, then=then)


def stopped_by_a_node(data: dict) -> dict:
    """answer, ``record_call`` with ``data``, three seconds of tone, ``record_call``
    stop, then a tone."""
    stop = node("record_call", {"action": "stop"}, then=node("play", {"id": TONE}))
    return node("answer", then=started_then(data, node("play", {"id": THREE_SECONDS}, then=stop)))


def test_given_a_recording_stopped_by_a_node_then_it_is_listed_with_its_length_and_downloadable(
    office: Office,
):
    flow = stopped_by_a_node({"action": "start"})
    office.account.callflow([NUMBER], flow)

    call = office.call(NUMBER)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    apps = [app for app, _ in call.applications]
    assert apps == ["answer", "record_session", "playback", "stop_record_session", "playback"]
    target = call.applications[1][1]
    assert "/switch/files/" in target and ".mp3?" in target and target.endswith(" 3600")
    recording = wait_recording(office)
    assert recording["call_id"] == call.uuid and recording["media_type"] == "mp3"
    assert recording["duration_ms"] >= 2900  # the tone, plus the hops to stop it
    assert recording["origin"].startswith("callflow : ")
    audio = office.wait_download(f"/recordings/{recording['id']}/raw")
    assert audio.headers["Content-Type"].startswith("audio/mpeg") and len(audio.content) > 8000


def test_given_a_recording_never_stopped_when_the_call_ends_then_it_is_kept_with_its_length(
    office: Office,
):
    flow = node(
        "answer",
        then=started_then({"format": "wav", "time_limit": 60}, node("play", {"id": THREE_SECONDS})),
    )
    office.account.callflow([NUMBER], flow)

    call = office.call(NUMBER)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert call.applications[1][1].endswith(" 60") and ".wav?" in call.applications[1][1]
    recording = wait_recording(office)
    assert recording["media_type"] == "wav" and recording["duration_ms"] >= 2900
    audio = office.wait_download(f"/recordings/{recording['id']}/raw")
    assert audio.headers["Content-Type"].startswith("audio/x-wav")


def test_given_record_min_sec_when_the_recording_is_shorter_then_it_is_dropped(office: Office):
    flow = stopped_by_a_node({"record_min_sec": 10})
    office.account.callflow([NUMBER], flow)

    call = office.call(NUMBER)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    trace = office.account.wait_cdr(call.uuid)["trace"]
    assert any("too short" in (e.get("note") or "") for e in trace)
    assert recordings(office) == []
    [doc] = office.store.find(account_db(office.account.id), {"pvt_type": "call_recording"})
    assert (doc["pvt_deleted"], doc["pvt_recording"]) == (True, "too_short")


def test_given_record_on_answer_on_an_unanswered_call_then_recording_starts_at_the_answer(
    office: Office,
):
    flow = started_then(
        {"record_on_answer": True},
        node("answer", then=node("play", {"id": THREE_SECONDS})),
    )
    office.account.callflow([NUMBER], flow)

    call = office.call(NUMBER)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    first = call.applications[0]
    assert first[0] == "set" and first[1].startswith("execute_on_answer=record_session http")
    assert "record_session" not in [app for app, _ in call.applications]  # the switch ran it
    events = call.events
    assert events.index("CHANNEL_ANSWER") < events.index("RECORD_START")
    assert wait_recording(office)["duration_ms"] >= 2900


def test_given_stop_without_a_recording_then_the_flow_goes_on(office: Office):
    office.account.callflow(
        [NUMBER], node("record_call", {"action": "stop"}, then=node("play", {"id": TONE}))
    )

    call = office.call(NUMBER)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [app for app, _ in call.applications] == ["answer", "playback"]


def test_given_bad_record_call_data_then_the_api_refuses_it_and_a_stored_one_goes_to_wildcard(
    office: Office,
):
    with pytest.raises(ValidationFailed) as refused:
        office.account.callflow([NUMBER], node("record_call", {"time_limit": 2}))
    assert "flow.data.time_limit" in refused.value.data
    office.store.save(
        account_db(office.account.id),
        {
            "_id": "cf-bad-record",
            "pvt_type": "callflow",
            "numbers": ["5001"],
            "flow": node("record_call", {"format": "ogg"}, then=node("play", {"id": TONE})),
        },
    )

    call = office.call("5001")

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [app for app, _ in call.applications] == ["answer", "playback"]
    assert recordings(office) == []
