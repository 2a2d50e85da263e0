"""Accounts: sub-accounts, hierarchy views, api keys, both login methods, deletion."""

from __future__ import annotations

import hashlib

from kazoo_tasks.docstore import ACCOUNTS_DB, DocumentStore, account_db
from tests.api.conftest import LoggedIn


def test_given_a_parent_when_put_on_it_then_a_sub_account_exists_in_both_databases(
    root: LoggedIn, store: DocumentStore
) -> None:
    answer = root.client.put(f"/accounts/{root.id}", {"name": "Child Co", "realm": "child.test"})
    assert answer.status_code == 201, answer.text
    child = answer.json()["data"]
    assert child["name"] == "Child Co" and "pvt_tree" not in child
    assert store.get(ACCOUNTS_DB, child["id"])["pvt_tree"] == [root.id]
    assert store.get(account_db(child["id"]), child["id"])["pvt_tree"] == [root.id]


def test_given_three_levels_when_walking_then_children_descendants_parents_tree_agree(
    root: LoggedIn,
) -> None:
    child = root.client.put(f"/accounts/{root.id}", {"name": "L1"}).json()["data"]
    grandchild = root.client.put(f"/accounts/{child['id']}", {"name": "L2"}).json()["data"]
    sibling = root.client.put("/accounts", {"name": "L1b"}).json()["data"]

    children = root.client.get(f"/accounts/{root.id}/children").json()["data"]
    assert sorted(c["id"] for c in children) == sorted([child["id"], sibling["id"]])
    descendants = root.client.get(f"/accounts/{root.id}/descendants").json()["data"]
    assert {d["id"] for d in descendants} == {child["id"], grandchild["id"], sibling["id"]}
    parents = root.client.get(f"/accounts/{grandchild['id']}/parents").json()
    assert [p["id"] for p in parents["data"]] == [root.id, child["id"]]
    assert parents["page_size"] == 2
    tree = root.client.get(f"/accounts/{grandchild['id']}/tree").json()["data"]
    assert tree == [
        {"id": root.id, "name": root.account["name"]},
        {"id": child["id"], "name": "L1"},
    ]


def test_given_an_account_when_asked_its_api_key_then_the_key_logs_in(root: LoggedIn) -> None:
    child = root.client.put(f"/accounts/{root.id}", {"name": "Keyed"}).json()["data"]
    key = root.client.get(f"/accounts/{child['id']}/api_key").json()["data"]["api_key"]
    login = root.client.put("/api_auth", {"api_key": key}, token="")
    assert login.status_code == 201
    assert login.json()["data"]["account_id"] == child["id"]
    assert login.json()["auth_token"]


def test_given_a_user_with_a_password_when_user_auth_then_token_names_the_owner(
    root: LoggedIn,
) -> None:
    user = root.client.put(
        f"/accounts/{root.id}/users",
        {"first_name": "U", "last_name": "Ser", "username": "Alice", "password": "pa55word"},
    ).json()["data"]
    assert "password" not in user
    md5 = hashlib.md5(b"alice:pa55word").hexdigest()
    by_name = root.client.put(
        "/user_auth", {"credentials": md5, "account_name": root.account["name"]}, token=""
    )
    assert by_name.status_code == 201, by_name.text
    assert by_name.json()["data"]["owner_id"] == user["id"]
    by_realm = root.client.put(
        "/user_auth", {"credentials": md5, "account_realm": root.account["realm"]}, token=""
    )
    assert by_realm.status_code == 201
    token = by_realm.json()["auth_token"]
    bearer = root.client.get(
        f"/accounts/{root.id}", token="", headers={"Authorization": f"Bearer {token}"}
    )
    assert bearer.status_code == 200
    sha = hashlib.sha1(b"alice:pa55word").hexdigest()
    by_sha = root.client.put(
        "/user_auth",
        {"credentials": sha, "account_name": root.account["name"], "method": "sha"},
        token="",
    )
    assert by_sha.status_code == 201
    wrong = hashlib.md5(b"alice:wrong").hexdigest()
    refused = root.client.put(
        "/user_auth", {"credentials": wrong, "account_name": root.account["name"]}, token=""
    )
    assert refused.status_code == 401
    assert refused.json()["message"] == "invalid_credentials"


def test_given_a_username_change_without_password_when_saved_then_400(root: LoggedIn) -> None:
    path = f"/accounts/{root.id}/users"
    user = root.client.put(
        path, {"first_name": "A", "last_name": "B", "username": "bob", "password": "x1"}
    ).json()["data"]
    answer = root.client.patch(f"{path}/{user['id']}", {"username": "robert"})
    assert answer.status_code == 400
    assert "required" in answer.json()["data"]["password"]


def test_given_an_account_with_children_when_deleted_then_409_until_they_are_gone(
    root: LoggedIn, store: DocumentStore
) -> None:
    parent = root.client.put(f"/accounts/{root.id}", {"name": "P"}).json()["data"]
    child = root.client.put(f"/accounts/{parent['id']}", {"name": "C"}).json()["data"]
    refused = root.client.delete(f"/accounts/{parent['id']}")
    assert refused.status_code == 409
    assert refused.json()["message"] == "account_has_descendants"
    assert root.client.delete(f"/accounts/{child['id']}").status_code == 200
    assert root.client.delete(f"/accounts/{parent['id']}").status_code == 200
    assert not store.db_exists(account_db(parent["id"]))
    assert root.client.get(f"/accounts/{parent['id']}").status_code == 403


def test_given_an_account_when_patched_then_the_index_copy_follows(
    root: LoggedIn, store: DocumentStore
) -> None:
    answer = root.client.patch(f"/accounts/{root.id}", {"timezone": "Europe/Paris"})
    assert answer.status_code == 200, answer.text
    assert store.get(ACCOUNTS_DB, root.id)["timezone"] == "Europe/Paris"
    assert answer.json()["data"]["timezone"] == "Europe/Paris"


def test_given_a_taken_account_name_when_creating_then_400_unique(root: LoggedIn) -> None:
    answer = root.client.put("/accounts", {"name": root.account["name"]})
    assert answer.status_code == 400
    assert "unique" in answer.json()["data"]["name"]


def test_given_an_account_when_it_disables_itself_then_ignored_but_its_parent_can(
    root: LoggedIn,
) -> None:
    own = root.client.patch(f"/accounts/{root.id}", {"enabled": False})
    assert own.status_code == 200 and own.json()["data"]["enabled"] is True
    replaced = root.client.post(
        f"/accounts/{root.id}", {"name": root.account["name"], "enabled": False}
    )
    assert replaced.json()["data"]["enabled"] is True
    child = root.client.put(f"/accounts/{root.id}", {"name": "Kid"}).json()["data"]
    key = root.client.get(f"/accounts/{child['id']}/api_key").json()["data"]["api_key"]
    assert root.client.patch(f"/accounts/{child['id']}", {"enabled": False}).status_code == 200
    assert root.client.put("/api_auth", {"api_key": key}, token="").status_code == 401
