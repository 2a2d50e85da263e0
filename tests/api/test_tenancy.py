"""Tenancy: a token reaches its account and its descendants, nothing else; a system admin
reaches everything; forged and expired tokens are refused. Each test counts its attempts
and prints them (pytest -s shows the counts)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

from api.server import RunningServer
from kazoo_tasks.docstore import DocumentStore
from tests.api.conftest import Crossbar, LoggedIn, new_account

ATTEMPTS: Counter[str] = Counter()


def _paths(account_id: str, user_id: str) -> list[tuple[str, str, Any]]:
    base = f"/accounts/{account_id}"
    return [
        ("GET", base, None),
        ("POST", base, {"name": "hijacked"}),
        ("PATCH", base, {"name": "hijacked"}),
        ("DELETE", base, None),
        ("PUT", base, {"name": "rogue child"}),
        ("GET", f"{base}/children", None),
        ("GET", f"{base}/descendants", None),
        ("GET", f"{base}/tree", None),
        ("GET", f"{base}/api_key", None),
        ("GET", f"{base}/users", None),
        ("PUT", f"{base}/users", {"first_name": "x", "last_name": "y"}),
        ("GET", f"{base}/users/{user_id}", None),
        ("POST", f"{base}/users/{user_id}", {"first_name": "x", "last_name": "y"}),
        ("PATCH", f"{base}/users/{user_id}", {"first_name": "x"}),
        ("DELETE", f"{base}/users/{user_id}", None),
        ("GET", f"{base}/callflows", None),
        ("GET", f"{base}/cdrs", None),
    ]


@pytest.fixture
def tenants(store: DocumentStore, server: RunningServer) -> dict[str, Any]:
    """A (with child A1 and grandchild A2) and B (with child B1), each with a user."""
    a = new_account(store, server)
    a1 = new_account(store, server, parent=a.id)
    a2 = new_account(store, server, parent=a1.id)
    b = new_account(store, server)
    b1 = new_account(store, server, parent=b.id)
    users = {}
    for who in (a, a1, a2, b, b1):
        made = who.client.put(f"/accounts/{who.id}/users", {"first_name": "F", "last_name": "L"})
        users[who.id] = made.json()["data"]["id"]
    return {"a": a, "a1": a1, "a2": a2, "b": b, "b1": b1, "users": users}


def test_given_a_token_of_b_when_touching_a_or_its_children_then_403_every_time(
    tenants: dict[str, Any],
) -> None:
    b: LoggedIn = tenants["b"]
    for target in ("a", "a1", "a2"):
        account: LoggedIn = tenants[target]
        for method, path, data in _paths(account.id, tenants["users"][account.id]):
            answer = b.client.request(method, path, data)
            ATTEMPTS["B on A's tree: 403"] += 1
            assert answer.status_code == 403, (method, path, answer.status_code)
            assert answer.json()["message"] == "forbidden"
    # a child reaches neither its parent nor its siblings' tree
    b1: LoggedIn = tenants["b1"]
    for method, path, data in _paths(tenants["b"].id, tenants["users"][tenants["b"].id]):
        assert b1.client.request(method, path, data).status_code == 403
        ATTEMPTS["child on its parent: 403"] += 1
    # nothing changed in A
    a: LoggedIn = tenants["a"]
    assert a.client.get(f"/accounts/{a.id}").json()["data"]["name"] == a.account["name"]
    print(f"\ntenancy attempts: {dict(ATTEMPTS)}")


def test_given_a_parent_token_when_reaching_descendants_then_allowed(
    tenants: dict[str, Any],
) -> None:
    a: LoggedIn = tenants["a"]
    for target in ("a1", "a2"):
        account: LoggedIn = tenants[target]
        user_id = tenants["users"][account.id]
        base = f"/accounts/{account.id}"
        for method, path, data, expected in [
            ("GET", base, None, 200),
            ("PATCH", base, {"timezone": "America/New_York"}, 200),
            ("GET", f"{base}/users", None, 200),
            ("PUT", f"{base}/users", {"first_name": "New", "last_name": "User"}, 201),
            ("PATCH", f"{base}/users/{user_id}", {"first_name": "Renamed"}, 200),
            ("GET", f"{base}/api_key", None, 200),
            ("GET", f"{base}/tree", None, 200),
        ]:
            answer = a.client.request(method, path, data)
            ATTEMPTS["parent on descendants: allowed"] += 1
            assert answer.status_code == expected, (method, path, answer.text)
    print(f"\ntenancy attempts: {dict(ATTEMPTS)}")


def test_given_a_system_admin_when_reaching_any_account_then_allowed(
    tenants: dict[str, Any], store: DocumentStore, server: RunningServer
) -> None:
    admin = new_account(store, server, superduper_admin=True)
    for target in ("a", "a2", "b1"):
        account: LoggedIn = tenants[target]
        for path in (f"/accounts/{account.id}", f"/accounts/{account.id}/users"):
            ATTEMPTS["system admin anywhere: allowed"] += 1
            assert admin.client.get(path).status_code == 200
    ATTEMPTS["system admin, unknown account: 404"] += 1
    assert admin.client.get(f"/accounts/{'0' * 32}").status_code == 404
    print(f"\ntenancy attempts: {dict(ATTEMPTS)}")


def _forge(token: str) -> list[str]:
    payload, _, signature = token.rpartition(".")
    head, _, stamp = payload.rpartition(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return [
        f"{payload}.{flipped}",  # signature altered
        f"{head.replace('e', 'f', 1)}.{stamp}.{signature}",  # claims altered
        "not-a-token",
        "",
        token + "x",
    ]


def test_given_forged_or_missing_tokens_when_calling_then_401(
    tenants: dict[str, Any], server: RunningServer
) -> None:
    a: LoggedIn = tenants["a"]
    assert a.client.token
    anonymous = Crossbar(server.url)
    for forged in _forge(a.client.token):
        for method, path, data in _paths(a.id, tenants["users"][a.id]):
            headers = {"X-Auth-Token": forged} if forged else {}
            answer = anonymous.request(method, path, data, headers=headers)
            ATTEMPTS["forged or missing token: 401"] += 1
            assert answer.status_code == 401, (forged, method, path, answer.status_code)
    print(f"\ntenancy attempts: {dict(ATTEMPTS)}")


def test_given_an_expired_token_when_calling_then_401(
    api_settings: Any, store: DocumentStore
) -> None:
    from api.app import create_app
    from api.server import start_in_thread

    short = api_settings.with_overrides(token_ttl=1)
    running = start_in_thread(create_app(short, store))
    try:
        account = new_account(store, running)
        assert account.client.get(f"/accounts/{account.id}").status_code == 200
        time.sleep(2.2)
        for method, path, data in _paths(account.id, "0" * 32):
            answer = account.client.request(method, path, data)
            ATTEMPTS["expired token: 401"] += 1
            assert answer.status_code == 401, (method, path)
            assert answer.json()["data"]["message"] == "token expired"
    finally:
        running.stop()
    print(f"\ntenancy attempts: {dict(ATTEMPTS)}")


def test_given_a_user_token_when_the_user_is_not_admin_then_read_only(root: LoggedIn) -> None:
    import hashlib

    users = f"/accounts/{root.id}/users"
    for name, level in (("reader", "user"), ("boss", "admin")):
        made = root.client.put(
            users,
            {
                "first_name": name,
                "last_name": "X",
                "username": name,
                "password": "pw-123",
                "priv_level": level,
            },
        )
        assert made.status_code == 201
    tokens = {}
    for name in ("reader", "boss"):
        credentials = hashlib.md5(f"{name}:pw-123".encode()).hexdigest()
        login = root.client.put(
            "/user_auth",
            {"credentials": credentials, "account_name": root.account["name"]},
            token="",
        )
        tokens[name] = login.json()["auth_token"]
    reader, boss = tokens["reader"], tokens["boss"]
    assert root.client.get(users, token=reader).status_code == 200
    for method, path, data in [
        ("PUT", users, {"first_name": "a", "last_name": "b"}),
        ("GET", f"/accounts/{root.id}/api_key", None),
        ("PATCH", f"/accounts/{root.id}", {"name": "mine now"}),
        ("PUT", "/accounts", {"name": "new"}),
    ]:
        ATTEMPTS["non-admin user writing: 403"] += 1
        assert root.client.request(method, path, data, token=reader).status_code == 403
    assert (
        root.client.put(users, {"first_name": "a", "last_name": "b"}, token=boss).status_code == 201
    )
    # a deleted user's token stops working
    reader_id = [
        u["id"] for u in root.client.get(users).json()["data"] if u.get("username") == "reader"
    ]
    assert root.client.delete(f"{users}/{reader_id[0]}").status_code == 200
    assert root.client.get(users, token=reader).status_code == 401
    print(f"\ntenancy attempts: {dict(ATTEMPTS)}")
