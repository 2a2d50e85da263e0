"""Other forms Kazoo takes, through real HTTP: ``outbound_flags`` as a list or an object,
``operator_number`` as an integer, media uploaded as ``application/x-base64``,
``user_auth`` by ``phone_number``, and the envelope's ``version``."""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata

import requests

from tests.crossbar import Crossbar, LoggedIn

AUDIO = b"ID3\x03\x00\x00\x00" + bytes(range(256)) * 4


def test_given_outbound_flags_as_a_list_or_an_object_when_saved_then_kept(
    root: LoggedIn,
) -> None:
    devices = f"/accounts/{root.id}/devices"
    for flags in (["fax", "intl"], {"static": ["fax"], "dynamic": ["caller_id_number"]}):
        made = root.client.put(devices, {"name": f"phone {flags!s:.8}", "outbound_flags": flags})
        assert made.status_code == 201, made.text
        assert made.json()["data"]["outbound_flags"] == flags
    bad = root.client.put(devices, {"name": "bad", "outbound_flags": "fax"})
    assert bad.status_code == 400
    assert set(bad.json()["data"]["outbound_flags"]) == {"oneOf"}


def test_given_operator_number_as_an_integer_or_a_string_when_saved_then_kept(
    root: LoggedIn,
) -> None:
    boxes = f"/accounts/{root.id}/vmboxes"
    for n, operator in enumerate((0, "0", 1000)):
        made = root.client.put(
            boxes, {"name": f"b{n}", "mailbox": f"30{n}", "operator_number": operator}
        )
        assert made.status_code == 201, made.text
        assert made.json()["data"]["operator_number"] == operator
    bad = root.client.put(boxes, {"name": "bad", "mailbox": "399", "operator_number": True})
    assert bad.status_code == 400 and "operator_number" in bad.json()["data"]


def _post_raw(root: LoggedIn, media_id: str, body: bytes, content_type: str) -> requests.Response:
    return requests.post(
        f"{root.client.base_url}/v2/accounts/{root.id}/media/{media_id}/raw",
        data=body,
        headers={"X-Auth-Token": root.client.token or "", "Content-Type": content_type},
        timeout=30,
    )


def test_given_a_base64_upload_when_posted_then_the_audio_is_stored(root: LoggedIn) -> None:
    media = root.client.put(f"/accounts/{root.id}/media", {"name": "greeting"}).json()["data"]
    encoded = base64.b64encode(AUDIO)
    uri = b"data:audio/mpeg;base64," + encoded[:60] + b"\r\n" + encoded[60:]
    for content_type in ("application/x-base64", "application/base64"):
        answer = _post_raw(root, media["id"], uri, content_type)
        assert answer.status_code == 200, answer.text
        assert answer.json()["data"]["content_type"] == "audio/mpeg"
        assert answer.json()["data"]["content_length"] == len(AUDIO)
        raw = root.client.get(f"/accounts/{root.id}/media/{media['id']}/raw")
        assert raw.content == AUDIO and raw.headers["Content-Type"].startswith("audio/mpeg")

    broken = _post_raw(root, media["id"], b"data:audio/mpeg;base64,%%%", "application/x-base64")
    assert broken.status_code == 400 and set(broken.json()["data"]["file"]) == {"encoding"}
    bare = _post_raw(root, media["id"], encoded, "application/x-base64")  # no audio type named
    assert bare.status_code == 400 and set(bare.json()["data"]["content_type"]) == {"enum"}


def test_given_a_users_did_when_logging_in_by_phone_number_then_a_token(
    root: LoggedIn, crossbar: Crossbar
) -> None:
    user = root.client.put(
        f"/accounts/{root.id}/users",
        {"first_name": "A", "last_name": "B", "username": "alice", "password": "correct horse"},
    )
    assert user.status_code == 201, user.text
    flow = {"module": "test_say", "data": {"text": "hi"}}
    made = root.client.put(
        f"/accounts/{root.id}/callflows", {"numbers": ["+14155550142"], "flow": flow}
    )
    assert made.status_code == 201, made.text
    credentials = hashlib.md5(b"alice:correct horse").hexdigest()
    for number in ("+14155550142", "4155550142", "14155550142"):
        login = crossbar.put("/user_auth", {"credentials": credentials, "phone_number": number})
        assert login.status_code == 201, (number, login.text)
        assert login.json()["data"]["account_id"] == root.id
        assert login.json()["data"]["owner_id"] == user.json()["data"]["id"]
    for number in ("+14155550143", "1000"):
        login = crossbar.put("/user_auth", {"credentials": credentials, "phone_number": number})
        assert login.status_code == 401, number
    nothing = crossbar.put("/user_auth", {"credentials": credentials})
    assert nothing.status_code == 400 and "phone_number" in nothing.json()["data"]


def test_given_any_answer_then_the_envelope_names_kazoos_version_and_ours(
    root: LoggedIn,
) -> None:
    for answer in (root.client.get(f"/accounts/{root.id}"), root.client.get("/accounts/x/users")):
        body = answer.json()
        assert body["version"] == "5.0.0"
        assert body["kazoo_tasks_version"] == importlib.metadata.version("kazoo-tasks")
