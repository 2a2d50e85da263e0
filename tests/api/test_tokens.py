"""Token revocation over real HTTP, with two API instances sharing Redis and the document
store: a logout (``DELETE /v2/token_auth``), an api key rotation
(``PUT /v2/accounts/{id}/api_key``) and a password change each end the tokens they should,
on both instances, at once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from api.app import create_app
from api.server import RunningServer, start_in_thread
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore
from tests.crossbar import Crossbar, LoggedIn

pytestmark = pytest.mark.parametrize("store", ["embedded", "couch"], indirect=True)


@pytest.fixture
def other_instance(api_settings: Settings, store: DocumentStore) -> Iterator[Crossbar]:
    """A second API instance (its own app and server) on the same Redis and store."""
    running = start_in_thread(create_app(api_settings, store))
    yield Crossbar(running.url)
    running.stop()


def make_user(root: LoggedIn, username: str, password: str, level: str = "user") -> str:
    made = root.client.put(
        f"/accounts/{root.id}/users",
        {
            "first_name": username,
            "last_name": "X",
            "username": username,
            "password": password,
            "priv_level": level,
        },
    )
    assert made.status_code == 201, made.text
    return made.json()["data"]["id"]


def user_login(client: Crossbar, root: LoggedIn, username: str, password: str) -> str:
    """Log in the way Kazoo's clients do (md5 credentials); the token."""
    credentials = hashlib.md5(f"{username}:{password}".encode()).hexdigest()
    answer = client.put(
        "/user_auth",
        {"credentials": credentials, "account_name": root.account["name"]},
        token="",
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["auth_token"]


def test_given_a_token_when_its_owner_logs_out_then_every_instance_refuses_it(
    root: LoggedIn, other_instance: Crossbar
) -> None:
    token = root.client.token
    assert other_instance.get(f"/accounts/{root.id}", token=token).status_code == 200
    info = root.client.get("/token_auth")
    assert info.status_code == 200
    assert info.json()["data"]["account_id"] == root.id
    assert info.json()["data"]["method"] == "api_auth"
    other_token = Crossbar(root.client.base_url).login(root.api_key)

    assert root.client.delete("/token_auth").status_code == 200

    for client in (root.client, other_instance):
        answer = client.get(f"/accounts/{root.id}", token=token)
        assert answer.status_code == 401
        assert answer.json()["data"]["message"] == "token revoked"
        assert client.get("/token_auth", token=token).status_code == 401
    # only that token: another one of the same account still works
    assert other_instance.get(f"/accounts/{root.id}", token=other_token).status_code == 200


def test_given_an_api_key_when_rotated_then_tokens_from_the_old_key_are_refused(
    root: LoggedIn, other_instance: Crossbar
) -> None:
    old_key, old_token = root.api_key, root.client.token
    spare = Crossbar(root.client.base_url)
    spare.login(old_key)
    user_id = make_user(root, "keeper", "pw-keeper")
    user_token = user_login(root.client, root, "keeper", "pw-keeper")

    rotated = root.client.put(f"/accounts/{root.id}/api_key")
    assert rotated.status_code == 200, rotated.text
    new_key = rotated.json()["data"]["api_key"]
    assert new_key != old_key and len(new_key) == 64

    for client in (root.client, other_instance):
        for token in (old_token, spare.token):
            answer = client.get(f"/accounts/{root.id}", token=token)
            assert answer.status_code == 401, answer.text
    assert root.client.put("/api_auth", {"api_key": old_key}, token="").status_code == 401
    fresh = Crossbar(other_instance.base_url)
    fresh.login(new_key)
    assert fresh.get(f"/accounts/{root.id}/api_key").json()["data"]["api_key"] == new_key
    # a user's token was issued from the user's password, not the key: it lives on
    assert fresh.get(f"/accounts/{root.id}/users/{user_id}", token=user_token).status_code == 200


def test_given_a_user_when_the_password_changes_then_their_tokens_are_refused(
    root: LoggedIn, other_instance: Crossbar
) -> None:
    user_id = make_user(root, "changer", "pw-old")
    bystander_id = make_user(root, "bystander", "pw-by")
    first = user_login(root.client, root, "changer", "pw-old")
    second = user_login(other_instance, root, "changer", "pw-old")
    bystander = user_login(root.client, root, "bystander", "pw-by")
    path = f"/accounts/{root.id}/users/{user_id}"
    assert root.client.get(path, token=first).status_code == 200

    changed = root.client.patch(path, {"password": "pw-new"}, token=first)
    assert changed.status_code == 200, changed.text

    for client in (root.client, other_instance):
        for token in (first, second):
            answer = client.get(path, token=token)
            assert answer.status_code == 401
            assert answer.json()["data"]["message"] == "token revoked"
    by_path = f"/accounts/{root.id}/users/{bystander_id}"
    assert other_instance.get(by_path, token=bystander).status_code == 200
    renewed = user_login(other_instance, root, "changer", "pw-new")
    assert root.client.get(path, token=renewed).status_code == 200
    refused = root.client.put(
        "/user_auth",
        {
            "credentials": hashlib.md5(b"changer:pw-old").hexdigest(),
            "account_name": root.account["name"],
        },
        token="",
    )
    assert refused.status_code == 401


def test_given_a_revoked_token_when_used_on_a_login_route_then_login_still_works(
    root: LoggedIn, server: RunningServer
) -> None:
    token = root.client.token
    assert root.client.delete("/token_auth").status_code == 200
    assert root.client.delete("/token_auth", token=token).status_code == 401
    client = Crossbar(server.url)
    assert client.login(root.api_key) != token
