"""Users over real HTTP: per-user permissions (a user reads and edits themselves, not
others; nobody raises their own priv_level) and how passwords are stored (argon2id; the
md5/sha1 digests only for user_auth's Kazoo path)."""

from __future__ import annotations

import hashlib

import pytest

from kazoo_tasks.docstore import DocumentStore, account_db
from tests.api.test_tokens import make_user, user_login
from tests.crossbar import LoggedIn

pytestmark = pytest.mark.parametrize("store", ["embedded", "couch"], indirect=True)


def test_given_a_non_admin_user_when_reaching_users_then_only_themselves(root: LoggedIn) -> None:
    me = make_user(root, "reader", "pw-reader")
    other = make_user(root, "neighbour", "pw-n")
    token = user_login(root.client, root, "reader", "pw-reader")
    users = f"/accounts/{root.id}/users"
    mine, theirs = f"{users}/{me}", f"{users}/{other}"

    assert root.client.get(mine, token=token).status_code == 200
    assert root.client.patch(mine, {"first_name": "Me"}, token=token).status_code == 200
    replaced = root.client.post(
        mine, {"first_name": "Me", "last_name": "Again", "username": "reader"}, token=token
    )
    assert replaced.status_code == 200, replaced.text
    assert root.client.get(mine, token=token).json()["data"]["last_name"] == "Again"

    for method, path, data in [
        ("GET", theirs, None),
        ("PATCH", theirs, {"first_name": "Hacked"}),
        ("POST", theirs, {"first_name": "Hacked", "last_name": "X"}),
        ("DELETE", theirs, None),
        ("GET", users, None),
        ("PUT", users, {"first_name": "New", "last_name": "User"}),
        ("DELETE", mine, None),
        ("GET", f"/accounts/{root.id}/api_key", None),
        ("PUT", f"/accounts/{root.id}/api_key", None),
        ("PATCH", f"/accounts/{root.id}", {"name": "mine now"}),
        ("PUT", f"/accounts/{root.id}/devices", {"name": "phone"}),
    ]:
        answer = root.client.request(method, path, data, token=token)
        assert answer.status_code == 403, (method, path, answer.status_code)
    assert root.client.get(theirs).json()["data"]["first_name"] == "neighbour"
    # reading the rest of the account stays open to them
    assert root.client.get(f"/accounts/{root.id}/devices", token=token).status_code == 200


def test_given_any_user_when_raising_their_own_priv_level_then_403(root: LoggedIn) -> None:
    me = make_user(root, "climber", "pw-c")
    boss = make_user(root, "boss", "pw-b", level="admin")
    climber = user_login(root.client, root, "climber", "pw-c")
    boss_token = user_login(root.client, root, "boss", "pw-b")
    mine = f"/accounts/{root.id}/users/{me}"

    for method, data in [
        ("PATCH", {"priv_level": "admin"}),
        (
            "POST",
            {"first_name": "c", "last_name": "X", "username": "climber", "priv_level": "admin"},
        ),
    ]:
        answer = root.client.request(method, mine, data, token=climber)
        assert answer.status_code == 403, answer.text
    assert root.client.get(mine).json()["data"]["priv_level"] == "user"

    # an admin cannot go higher than admin; editing themselves otherwise works
    boss_path = f"/accounts/{root.id}/users/{boss}"
    kept = root.client.patch(
        boss_path, {"priv_level": "admin", "first_name": "B"}, token=boss_token
    )
    assert kept.status_code == 200
    # an admin sets the level of others (that is what admins are for)
    assert root.client.patch(mine, {"priv_level": "admin"}, token=boss_token).status_code == 200


def test_given_a_password_when_stored_then_argon2id_and_only_kazoo_digests_beside_it(
    root: LoggedIn, store: DocumentStore
) -> None:
    user_id = make_user(root, "alice", "correct horse")
    stored = store.get(account_db(root.id), user_id)
    assert stored["pvt_password_hash"].startswith("$argon2id$")
    assert "correct horse" not in str(stored)
    assert stored["pvt_md5_auth"] == hashlib.md5(b"alice:correct horse").hexdigest()
    assert stored["pvt_sha1_auth"] == hashlib.sha1(b"alice:correct horse").hexdigest()
    public = root.client.get(f"/accounts/{root.id}/users/{user_id}").json()["data"]
    assert not {"password", "pvt_password_hash", "pvt_md5_auth", "pvt_sha1_auth"} & set(public)

    by_password = root.client.put(
        "/user_auth",
        {"username": "alice", "password": "correct horse", "account_name": root.account["name"]},
        token="",
    )
    assert by_password.status_code == 201, by_password.text
    assert by_password.json()["data"]["owner_id"] == user_id
    assert user_login(root.client, root, "alice", "correct horse")  # Kazoo's md5 path
    sha = hashlib.sha1(b"alice:correct horse").hexdigest()
    assert (
        root.client.put(
            "/user_auth",
            {"credentials": sha, "method": "sha", "account_name": root.account["name"]},
            token="",
        ).status_code
        == 201
    )
    for body in (
        {"username": "alice", "password": "wrong", "account_name": root.account["name"]},
        {"username": "nobody", "password": "correct horse", "account_name": root.account["name"]},
    ):
        answer = root.client.put("/user_auth", body, token="")
        assert answer.status_code == 401
        assert answer.json()["message"] == "invalid_credentials"
    neither = root.client.put("/user_auth", {"account_name": root.account["name"]}, token="")
    assert neither.status_code == 400
