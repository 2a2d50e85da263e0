"""Media audio as attachments (raw upload and download), voicemail messages, and CDRs
(read-only)."""

from __future__ import annotations

import requests

from api.vmboxes.service import save_message
from kazoo_tasks.docstore import DocumentStore, account_db
from tests.crossbar import LoggedIn

AUDIO = b"ID3" + bytes(range(256)) * 40


def test_given_a_media_when_audio_is_uploaded_then_it_downloads_byte_for_byte(
    root: LoggedIn,
) -> None:
    media = root.client.put(f"/accounts/{root.id}/media", {"name": "greeting"}).json()["data"]
    raw = f"{root.client.base_url}/v2/accounts/{root.id}/media/{media['id']}/raw"
    headers = {"X-Auth-Token": root.client.token or ""}
    assert requests.get(raw, headers=headers, timeout=30).status_code == 404

    uploaded = requests.post(
        raw, data=AUDIO, headers={**headers, "Content-Type": "audio/mpeg"}, timeout=30
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["data"]["content_length"] == len(AUDIO)
    assert uploaded.json()["data"]["content_type"] == "audio/mpeg"

    downloaded = requests.get(raw, headers=headers, timeout=30)
    assert downloaded.status_code == 200
    assert downloaded.headers["Content-Type"] == "audio/mpeg"
    assert downloaded.content == AUDIO

    multipart = requests.post(
        raw,
        files={"file": ("hello.wav", b"RIFF....WAVE", "audio/wav")},
        headers=headers,
        timeout=30,
    )
    assert multipart.status_code == 200
    assert requests.get(raw, headers=headers, timeout=30).content == b"RIFF....WAVE"

    # editing the metadata keeps the audio
    root.client.patch(f"/accounts/{root.id}/media/{media['id']}", {"description": "hi"})
    assert requests.get(raw, headers=headers, timeout=30).content == b"RIFF....WAVE"

    refused = requests.post(
        raw, data=b"<html>", headers={**headers, "Content-Type": "text/html"}, timeout=30
    )
    assert refused.status_code == 400
    assert "enum" in refused.json()["data"]["content_type"]


def test_given_a_recorded_message_when_listed_moved_fetched_deleted_then_each_works(
    root: LoggedIn, store: DocumentStore
) -> None:
    box = root.client.put(
        f"/accounts/{root.id}/vmboxes", {"name": "box", "mailbox": "1000"}
    ).json()["data"]
    other = root.client.put(
        f"/accounts/{root.id}/vmboxes", {"name": "other", "mailbox": "1001"}
    ).json()["data"]
    message = save_message(
        store, root.id, box["id"], AUDIO, "audio/mpeg", {"caller_id_number": "+15550100"}
    )
    base = f"/accounts/{root.id}/vmboxes/{box['id']}/messages"

    listed = root.client.get(base).json()["data"]
    assert [(m["media_id"], m["folder"]) for m in listed] == [(message["_id"], "new")]
    assert (
        root.client.get(f"/accounts/{root.id}/vmboxes/{other['id']}/messages").json()["data"] == []
    )
    assert (
        root.client.get(
            f"/accounts/{root.id}/vmboxes/{other['id']}/messages/{message['_id']}"
        ).status_code
        == 404
    )

    moved = root.client.post(f"{base}/{message['_id']}", {"folder": "saved"})
    assert moved.status_code == 200 and moved.json()["data"]["folder"] == "saved"
    assert root.client.post(f"{base}/{message['_id']}", {"folder": "bin"}).status_code == 400

    audio = requests.get(
        f"{root.client.base_url}/v2{base}/{message['_id']}/raw",
        headers={"X-Auth-Token": root.client.token or ""},
        timeout=30,
    )
    assert audio.content == AUDIO

    assert root.client.delete(f"{base}/{message['_id']}").status_code == 200
    assert root.client.get(base).json()["data"] == []


def test_given_cdrs_written_by_the_pipeline_when_listed_then_readable_not_writable(
    root: LoggedIn, store: DocumentStore
) -> None:
    db = account_db(root.id)
    for n in range(3):
        store.save(
            db,
            {
                "_id": f"cdr-{n}",
                "pvt_type": "cdr",
                "pvt_created": 63_900_000_000 + n,
                "call_id": f"call-{n}",
                "hangup_cause": "NORMAL_CLEARING" if n else "NO_ANSWER",
            },
        )
    listed = root.client.get(f"/accounts/{root.id}/cdrs").json()
    assert [c["call_id"] for c in listed["data"]] == ["call-0", "call-1", "call-2"]
    answered = root.client.get(
        f"/accounts/{root.id}/cdrs", params={"filter_hangup_cause": "NORMAL_CLEARING"}
    )
    assert [c["id"] for c in answered.json()["data"]] == ["cdr-1", "cdr-2"]
    recent = root.client.get(f"/accounts/{root.id}/cdrs", params={"created_from": 63_900_000_001})
    assert [c["id"] for c in recent.json()["data"]] == ["cdr-1", "cdr-2"]
    window = root.client.get(
        f"/accounts/{root.id}/cdrs", params={"created_from": 1, "created_to": 63_900_000_000}
    )
    assert [c["id"] for c in window.json()["data"]] == ["cdr-0"]
    assert root.client.get(f"/accounts/{root.id}/cdrs/cdr-1").json()["data"]["call_id"] == "call-1"
    assert root.client.put(f"/accounts/{root.id}/cdrs", {"call_id": "x"}).status_code == 405
    assert root.client.delete(f"/accounts/{root.id}/cdrs/cdr-1").status_code == 405
    bad = root.client.get(f"/accounts/{root.id}/cdrs", params={"created_from": "yesterday"})
    assert bad.status_code == 400 and "type" in bad.json()["data"]["created_from"]


def _audio(root: LoggedIn, path: str) -> bytes:
    answer = requests.get(
        f"{root.client.base_url}/v2{path}/raw",
        headers={"X-Auth-Token": root.client.token or ""},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer.content


def test_given_messages_when_changed_in_bulk_then_moved_copied_refiled_as_kazoo_does(
    root: LoggedIn, store: DocumentStore
) -> None:
    boxes = [
        root.client.put(
            f"/accounts/{root.id}/vmboxes", {"name": f"box {n}", "mailbox": f"300{n}"}
        ).json()["data"]["id"]
        for n in range(3)
    ]
    first, second, third = (f"/accounts/{root.id}/vmboxes/{box}/messages" for box in boxes)
    ids = [
        save_message(store, root.id, boxes[0], AUDIO, "audio/mpeg", {"caller_id_number": str(n)})[
            "_id"
        ]
        for n in range(3)
    ]

    refiled = root.client.post(
        first, {"messages": [ids[0], ids[1], "f" * 32]}, params={"folder": "saved"}
    )
    assert refiled.status_code == 200, refiled.text
    assert refiled.json()["data"] == {"succeeded": ids[:2], "failed": [{"f" * 32: "not_found"}]}
    folders = {m["media_id"]: m["folder"] for m in root.client.get(first).json()["data"]}
    assert folders == {ids[0]: "saved", ids[1]: "saved", ids[2]: "new"}

    moved = root.client.post(first, {"messages": [ids[0]], "source_id": boxes[1]})
    assert moved.json()["data"] == {"succeeded": [ids[0]], "failed": []}
    assert [m["media_id"] for m in root.client.get(second).json()["data"]] == [ids[0]]
    assert _audio(root, f"{second}/{ids[0]}") == AUDIO
    assert root.client.get(f"{first}/{ids[0]}").status_code == 404

    one = root.client.post(f"{second}/{ids[0]}", {"source_id": boxes[2], "folder": "new"})
    assert one.status_code == 200, one.text
    assert (one.json()["data"]["media_id"], one.json()["data"]["folder"]) == (ids[0], "new")
    assert root.client.get(second).json()["data"] == []

    copied = root.client.post(first, {"source_id": [boxes[1], boxes[2]]})  # every message
    assert sorted(copied.json()["data"]["succeeded"]) == sorted(ids[1:])
    copies = root.client.get(second).json()["data"]
    assert len(copies) == 2 and {m["folder"] for m in copies} == {"new"}
    assert not {m["media_id"] for m in copies} & set(ids)
    assert _audio(root, f"{second}/{copies[0]['media_id']}") == AUDIO
    assert len(root.client.get(third).json()["data"]) == 3
    assert len(root.client.get(first).json()["data"]) == 2  # copies leave the originals

    for bad in ({"source_id": "0" * 32}, {"folder": "bin"}, {"messages": "all"}):
        refused = root.client.post(first, bad)
        assert refused.status_code == 400, (bad, refused.text)
    assert root.client.post(f"{first}/{ids[1]}", {"source_id": [boxes[1], 5]}).status_code == 400

    removed = root.client.delete(first, params={"folder": "saved"}).json()["data"]
    assert removed == {"succeeded": [ids[1]], "failed": []}  # the saved one (ids[2] is new)
    assert [m["media_id"] for m in root.client.get(first).json()["data"]] == [ids[2]]
    assert root.client.delete(third).json()["data"]["failed"] == []
    assert root.client.get(third).json()["data"] == []
