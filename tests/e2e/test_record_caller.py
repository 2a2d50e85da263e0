"""``record_caller`` on the whole pipeline: the caller is recorded until a key, the switch
uploads to the API and the recording is a ``call_recording`` listed and served by
``/v2/accounts/{id}/recordings``; a caller who hangs up while recorded still leaves it."""

from __future__ import annotations

import pytest

from kazoo_tasks.esl.emulator import script as s
from tests.e2e.conftest import TONE, node
from tests.e2e.test_record_call import recordings, wait_recording
from tests.e2e.voicemail_kit import Office, start_office
from tests.waiting import wait_for

NUMBER = "5100"


@pytest.fixture
def office(settings, store, account, stack_factory):
    yield from start_office(settings, store, account, stack_factory)


def test_given_a_caller_who_speaks_then_presses_a_key_then_the_recording_is_kept(
    office: Office,
):
    flow = node("record_caller", {"format": "wav", "time_limit": 60}, node("play", {"id": TONE}))
    office.account.callflow([NUMBER], flow)

    call = office.call(NUMBER, script=[s.on_app("record").wait(2).press("#")])

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    apps = [app for app, _ in call.applications]
    assert apps[0] == "answer" and "record" in apps and apps[-1] == "playback"
    target = dict(call.applications)["record"]
    assert "/switch/files/" in target and ".wav?" in target
    recording = wait_recording(office)
    assert recording["call_id"] == call.uuid and recording["media_type"] == "wav"
    assert recording["origin"] == "callflow : record_caller" and recording["duration_ms"] > 1000
    audio = office.wait_download(f"/recordings/{recording['id']}/raw")
    assert audio.headers["Content-Type"].startswith("audio/") and len(audio.content) > 8000


def test_given_a_caller_who_hangs_up_while_recorded_then_the_recording_is_kept(office: Office):
    office.account.callflow([NUMBER], node("record_caller", {}, node("play", {"id": TONE})))

    call = office.call(NUMBER, script=[s.on_app("record").wait(2).hangup()])

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    recording = wait_recording(office)
    assert recording["media_type"] == "mp3" and recording["duration_ms"] > 1000
    assert "playback" not in [app for app, _ in call.applications]
    wait_for(lambda: len(recordings(office)) == 1 or None, 5, "one recording")
