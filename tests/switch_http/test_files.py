"""Files the switch fetches and uploads: signed, expiring URLs; media uploaded through the
API plays from them; recordings PUT to them land as attachments, even when the document
store is down for a while."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from api.app import create_app
from api.server import RunningServer, start_in_thread
from api.switch.spool import RecordingSpool, Target
from callflow.media import MediaNotFound, playable, recording_target
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore, NotFound, Unavailable, account_db
from kazoo_tasks.docstore.couch import CouchDocumentStore
from tests.couchdb_server import CouchServer
from tests.switch_http.conftest import Phone, create
from tests.tcp_proxy import TcpProxy
from tests.waiting import wait_for

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(200))


def upload_media(phone: Phone, audio: bytes = WAV, content_type: str = "audio/wav") -> str:
    media = create(phone.account, "media", {"name": "Greeting"})
    client = phone.account.client
    raw = f"{client.base_url}/v2/accounts/{phone.account.id}/media/{media['id']}/raw"
    headers = {"X-Auth-Token": client.token or "", "Content-Type": content_type}
    assert requests.post(raw, data=audio, headers=headers, timeout=10).status_code == 200
    return media["id"]


def http_url(target: str) -> str:
    assert target.startswith("http_cache://")
    return target.removeprefix("http_cache://")


def test_given_a_media_document_when_its_id_is_played_then_the_switch_fetches_its_audio(
    switch_settings: Settings, store: DocumentStore, phone: Phone, server: RunningServer
):
    media_id = upload_media(phone)
    settings = switch_settings.with_overrides(switch_url=f"{server.url}/switch")

    target = playable(settings, store, phone.account.id, media_id)

    url = http_url(target)
    assert urlsplit(url).path.endswith(".wav") and "." not in urlsplit(url).query
    fetched = requests.get(url, timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == WAV
    assert fetched.headers["Content-Type"] == "audio/wav"
    assert int(fetched.headers["Cache-Control"].removeprefix("max-age=")) >= 600


def test_given_urls_and_switch_paths_when_played_then_they_pass_as_kazoo_documents_them(
    switch_settings: Settings, store: DocumentStore, phone: Phone
):
    account = phone.account.id

    assert (
        playable(switch_settings, store, account, "https://cdn.example.net/hello.mp3")
        == "http_cache://https://cdn.example.net/hello.mp3"
    )
    for local in ("tone_stream://%(1000,0,440)", "/usr/share/freeswitch/sounds/beep.wav"):
        assert playable(switch_settings, store, account, local) == local
    with pytest.raises(MediaNotFound):
        playable(switch_settings, store, account, "0123456789abcdef0123456789abcdef")
    with pytest.raises(MediaNotFound):
        playable(switch_settings, store, account, phone.device["id"])  # not a media
    with pytest.raises(ValueError):
        playable(switch_settings, store, account, "http://x/a.wav\nevent-lock: true")


def test_given_a_signed_url_when_expired_or_tampered_then_403(
    switch_settings: Settings, store: DocumentStore, phone: Phone, server: RunningServer
):
    media_id = upload_media(phone)
    settings = switch_settings.with_overrides(switch_url=f"{server.url}/switch")
    good = http_url(playable(settings, store, phone.account.id, media_id))
    expired = http_url(
        playable(settings, store, phone.account.id, media_id, now=time.time() - 3 * 600)
    )
    other = upload_media(phone)

    assert requests.get(good, timeout=10).status_code == 200
    assert requests.get(expired, timeout=10).status_code == 403
    assert requests.get(good.replace(media_id, other), timeout=10).status_code == 403
    assert (
        requests.get(good[:-1] + ("0" if good[-1] != "0" else "1"), timeout=10).status_code == 403
    )
    assert requests.get(good.split("&sig=")[0], timeout=10).status_code == 403
    # a download URL does not allow an upload
    assert requests.put(good, data=b"RIFF", timeout=10).status_code == 403


def test_given_a_client_outside_the_allowed_networks_when_it_calls_switch_then_403(
    switch_settings: Settings, store: DocumentStore
):
    running = start_in_thread(
        create_app(switch_settings.with_overrides(switch_allow="10.0.0.0/8"), store)
    )
    try:
        answer = requests.post(
            f"{running.url}/switch/directory", data=b"section=directory", timeout=10
        )
        assert answer.status_code == 403
    finally:
        running.stop()


def test_given_a_recording_url_when_the_switch_puts_the_file_then_it_is_the_documents_attachment(
    switch_settings: Settings, store: DocumentStore, phone: Phone, server: RunningServer
):
    box = create(phone.account, "vmboxes", {"name": "Alice", "mailbox": "1001"})
    settings = switch_settings.with_overrides(switch_url=f"{server.url}/switch")
    url = http_url(recording_target(settings, phone.account.id, box["id"], attachment="greeting"))
    assert urlsplit(url).path.endswith("/greeting/recording.wav")

    put = requests.put(url, data=WAV, headers={"Content-Type": "audio/x-wav"}, timeout=10)

    assert put.status_code == 204
    db = account_db(phone.account.id)

    def stored() -> bytes | None:
        try:
            return store.get_attachment(db, box["id"], "greeting").data
        except NotFound:
            return None

    wait_for(lambda: stored() == WAV, timeout=10, what="the attachment")
    assert store.get_attachment(db, box["id"], "greeting").content_type == "audio/x-wav"
    assert requests.get(url, timeout=10).status_code == 403  # an upload URL does not read


# -- the document store down -----------------------------------------------------------------


@pytest.fixture
def proxied_couch(couchdb_server: CouchServer) -> Iterator[tuple[TcpProxy, str]]:
    """A TCP proxy in front of the test CouchDB (close it: the store is down)."""
    target = urlsplit(couchdb_server.admin_url)
    proxy = TcpProxy((target.hostname or "127.0.0.1", target.port or 5984))
    url = couchdb_server.admin_url.replace(f":{target.port}", f":{proxy.port}")
    yield proxy, url
    proxy.close()


def test_given_the_document_store_down_when_a_recording_arrives_then_it_is_stored_once_back(
    switch_settings: Settings, proxied_couch: tuple[TcpProxy, str], tmp_path: Path
):
    proxy, url = proxied_couch
    store = CouchDocumentStore(url)
    account_id = "a" * 31 + "1"
    db = account_db(account_id)
    store.ensure_db(db)
    doc = store.save(db, {"_id": "message-1", "pvt_type": "mailbox_message"})
    settings = switch_settings.with_overrides(recording_spool_dir=tmp_path / "spool")
    running = start_in_thread(create_app(settings, store))
    try:
        settings = settings.with_overrides(switch_url=f"{running.url}/switch")
        upload = http_url(recording_target(settings, account_id, doc["_id"]))
        proxy.close()  # CouchDB unreachable from now on
        with pytest.raises(Unavailable):
            store.get(db, doc["_id"])

        put = requests.put(upload, data=WAV, timeout=10)

        assert put.status_code == 204  # on disk: the switch may forget its copy
        time.sleep(1.0)  # the writer tries and fails meanwhile
        assert [p.suffix for p in (tmp_path / "spool").iterdir() if p.suffix == ".json"]
        back = TcpProxy(proxy.target, port=proxy.port)
        try:
            wait_for(
                lambda: _attachment(store, db, doc["_id"]) == WAV,
                timeout=40,
                what="the spooled recording stored once the store is back",
            )
            wait_for(lambda: not list((tmp_path / "spool").glob("*.json")), timeout=5)
        finally:
            back.close()
    finally:
        running.stop()
        store.close()


def _attachment(store: DocumentStore, db: str, doc_id: str) -> bytes | None:
    try:
        return store.get_attachment(db, doc_id, "audio").data
    except (NotFound, Unavailable):
        return None


def test_given_recordings_left_by_a_stopped_api_when_an_api_starts_then_it_stores_them(
    switch_settings: Settings, store: DocumentStore, tmp_path: Path
):
    account_id = "b" * 31 + "2"
    db = account_db(account_id)
    store.ensure_db(db)
    doc = store.save(db, {"_id": "message-2", "pvt_type": "mailbox_message"})
    spool_dir = tmp_path / "spool"
    unreachable = CouchDocumentStore("http://127.0.0.1:9")  # nothing listens on the discard port
    first = RecordingSpool(spool_dir, unreachable, max_delay=0.2)
    first.accept(Target(account_id, doc["_id"], "audio", "audio/x-wav"), [WAV[:100], WAV[100:]])
    time.sleep(0.5)
    first.stop()
    assert len(first.pending()) == 1

    running = start_in_thread(
        create_app(switch_settings.with_overrides(recording_spool_dir=spool_dir), store)
    )
    try:
        wait_for(lambda: _attachment(store, db, doc["_id"]) == WAV, timeout=10)
    finally:
        running.stop()
