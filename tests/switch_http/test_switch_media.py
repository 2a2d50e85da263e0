"""A call plays a media document uploaded through the API and records into a document, the
switch (the emulator) fetching and uploading over real HTTP the way mod_http_cache does."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator

import pytest

from api.server import RunningServer
from callflow.media import playable, recording_target
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore, NotFound, account_db
from kazoo_tasks.esl.emulator import Emulator
from kazoo_tasks.esl.emulator.client import EslClient
from kazoo_tasks.esl.emulator.httpfiles import silence_wav
from tests.switch_http.conftest import Phone, create
from tests.switch_http.test_files import upload_media
from tests.waiting import wait_for


@pytest.fixture
def switch_url(switch_settings: Settings, server: RunningServer) -> Settings:
    return switch_settings.with_overrides(switch_url=f"{server.url}/switch")


@pytest.fixture
def parked(phone: Phone) -> Iterator[tuple[Emulator, EslClient, str]]:
    """An emulator, an ESL controller subscribed to what playback and record fire, and a
    parked call."""
    with Emulator(time_scale=0.02) as emu, EslClient("127.0.0.1", emu.port, timeout=10) as esl:
        esl.subscribe("CHANNEL_EXECUTE_COMPLETE", "PLAYBACK_START", "RECORD_STOP")
        call = emu.place_call("1000")
        call.wait_parked()
        yield emu, esl, call.uuid
        call.hangup()


def run(esl: EslClient, call_uuid: str, app: str, arg: str) -> list[dict[str, str]]:
    """Execute ``app`` on the call; the events of the call until it completes, in order."""
    esl.execute(call_uuid, app, arg, event_uuid=f"{app}-1")
    seen = []
    while True:
        event = esl.next_event(timeout=10)
        assert event is not None, f"{app} did not complete"
        if event.headers.get("Unique-ID") != call_uuid:
            continue
        seen.append(event.headers)
        if (
            event.headers.get("Application-UUID") == f"{app}-1"
            and event.name == "CHANNEL_EXECUTE_COMPLETE"
        ):
            return seen


def test_given_a_media_uploaded_through_the_api_when_a_call_plays_its_id_then_the_switch_plays_it(
    switch_url: Settings, store: DocumentStore, phone: Phone, parked
):
    emu, esl, call_uuid = parked
    media_id = upload_media(phone, silence_wav(3.0))

    seen = run(esl, call_uuid, "playback", playable(switch_url, store, phone.account.id, media_id))

    done = seen[-1]
    assert done["Application-Response"] == "FILE PLAYED"
    assert done["variable_playback_ms"] == "3000"  # the downloaded WAV's own length
    started = [e for e in seen if e["Event-Name"] == "PLAYBACK_START"]
    assert started[0]["Playback-File-Path"].startswith("http_cache://http://")


def test_given_a_tampered_or_expired_media_url_when_played_then_file_not_found(
    switch_url: Settings, store: DocumentStore, phone: Phone, parked
):
    emu, esl, call_uuid = parked
    media_id = upload_media(phone, silence_wav(1.0))
    good = playable(switch_url, store, phone.account.id, media_id)
    expired = playable(switch_url, store, phone.account.id, media_id, now=0)

    for target in (good.replace("sig=", "sig=0"), expired):
        seen = run(esl, call_uuid, "playback", target)
        assert seen[-1]["Application-Response"] == "FILE NOT FOUND"
        assert "PLAYBACK_START" not in [e["Event-Name"] for e in seen]


def test_given_a_recording_target_when_the_call_records_then_the_file_is_the_documents_attachment(
    switch_url: Settings, store: DocumentStore, phone: Phone, parked
):
    emu, esl, call_uuid = parked
    box = create(phone.account, "vmboxes", {"name": "Alice", "mailbox": "1001"})
    target = recording_target(switch_url, phone.account.id, box["id"], attachment="greeting")

    run(esl, call_uuid, "record", f"{target} 2")

    db = account_db(phone.account.id)

    def greeting() -> bytes | None:
        try:
            return store.get_attachment(db, box["id"], "greeting").data
        except NotFound:
            return None

    audio = wait_for(greeting, timeout=10, what="the recorded greeting")
    with wave.open(io.BytesIO(audio)) as recorded:
        assert recorded.getnframes() == 2 * 8000
