"""Tenancy: a token reaches its account and its descendants, nothing else.

The attack corpus is generated from the app's registered routes, so a new resource is
covered the day it is added: every route under ``/v2/accounts/<account_id>``, every verb
it serves, aimed at a target account T (below a parent P, above a child C; B elsewhere)
with a token of another account (B), of T's child (C), of T's parent (P), and tokens that
are expired, forged (bad signature, or claims of T signed with another secret) and revoked
(T's own, logged out). Path ids are real documents of T. Expected: 403 for B and C, 401
for the expired, forged and revoked ones, never a 5xx, and for P anything but 401/403
(a parent reaches its descendants) except where only system admins go (``restore``).
The counts are printed (pytest -s) and go into docs/api.md.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.routing import Rule

from api.app import create_app
from api.server import RunningServer, start_in_thread
from api.tokens import TokenSigner
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore, account_db
from tests.crossbar import Crossbar, LoggedIn, new_account

pytestmark = pytest.mark.parametrize("store", ["embedded", "couch"], indirect=True)

SCOPED_PREFIX = "/v2/accounts/<account_id>"
UNSCOPED = {
    "/v2/",
    "/v2/accounts",
    "/v2/api_auth",
    "/v2/user_auth",
    "/v2/token_auth",
    "/v2/docs",
    "/v2/swagger.json",
    "/static/<path:filename>",
    "/swaggerui/<path:filename>",
    "/switch/directory",
    "/switch/files/<account_id>/<doc_id>/<attachment>/<filename>",
    "/metrics",
}
"""Routes outside any account token: logins, the caller's own token, creating an account
below the caller's, the API's documents, what FreeSWITCH calls (allowed networks, basic
auth, signed URLs: tests/switch_http) and Prometheus's scrape (counters by route and
status, no account data: tests/e2e/test_metrics.py). Their own tests cover them."""
SYSTEM_ADMIN_ONLY = re.compile(r"/restore$")
SYSTEM_WIDE = ("/v2/resources", "/v2/global_resources")
"""Collections of the whole system (Kazoo's global resources): only system admins reach
them, so every token here, the target's own and its parent's too, is refused."""
_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def scoped_operations(rules: list[Rule]) -> list[tuple[str, str]]:
    """(method, rule) of every account-scoped operation; fails on a route that is neither
    scoped nor known to be unscoped (so a new one gets a decision)."""
    operations = []
    for rule in rules:
        if rule.rule.startswith(SYSTEM_WIDE):
            continue
        if not rule.rule.startswith(SCOPED_PREFIX):
            assert rule.rule in UNSCOPED, f"route {rule.rule} is neither scoped nor listed"
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operations.append((method, rule.rule))
    return operations


@pytest.fixture
def tenants(store: DocumentStore, server: RunningServer) -> dict[str, LoggedIn]:
    """P (parent) > T (target) > C (child), and B elsewhere."""
    parent = new_account(store, server)
    target = new_account(store, server, parent=parent.id)
    child = new_account(store, server, parent=target.id)
    other = new_account(store, server)
    return {"parent": parent, "target": target, "child": child, "other": other}


@pytest.fixture
def short_lived(api_settings: Settings, store: DocumentStore) -> Iterator[RunningServer]:
    """Another API instance whose tokens live 1 s (for expired tokens)."""
    running = start_in_thread(create_app(api_settings.with_overrides(token_ttl=1), store))
    yield running
    running.stop()


def target_documents(app: Any, store: DocumentStore, account_id: str) -> dict[str, str]:
    """A stored document of T for each resource (resource name -> id)."""
    ids = {}
    for name, service in app.extensions["kazoo_tasks"].documents.items():
        saved = store.save(
            account_db(account_id),
            {"pvt_type": service.spec.pvt_type, "name": f"target {name}", "pvt_vsn": "1"},
        )
        ids[name] = saved["_id"]
    return ids


def system_operations(rules: list[Rule]) -> list[tuple[str, str]]:
    """(method, rule) of every operation on a system-wide collection."""
    return [
        (method, rule.rule)
        for rule in rules
        if rule.rule.startswith(SYSTEM_WIDE)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]


def path_of(rule: str, account_id: str, ids: dict[str, str]) -> str:
    resource = rule.removeprefix(SCOPED_PREFIX).removeprefix("/v2").strip("/").split("/")[0]
    values = {"account_id": account_id, "doc_id": ids.get(resource, "0" * 32)}

    def fill(match: re.Match[str]) -> str:
        return values.get(match.group(1), "f" * 32)  # message ids, call ids

    return _PARAM.sub(fill, rule).removeprefix("/v2")


def forged_tokens(token: str, target_id: str, api_key: str) -> list[str]:
    payload, _, signature = token.rpartition(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    other_secret = TokenSigner("not-the-secret", 3600).issue(target_id, None, "api_auth", api_key)
    return [f"{payload}.{flipped}", other_secret]


def outcome(status: int) -> str:
    if status >= 500:
        return "5xx"
    if status in (401, 403):
        return str(status)
    return "2xx" if status < 300 else "other 4xx"


def test_given_every_route_and_verb_when_attacked_with_foreign_tokens_then_refused(
    tenants: dict[str, LoggedIn],
    store: DocumentStore,
    server: RunningServer,
    short_lived: RunningServer,
    api_settings: Settings,
) -> None:
    app = create_app(api_settings, store)  # the same routes as the server's
    operations = scoped_operations(list(app.url_map.iter_rules()))
    system_wide = system_operations(list(app.url_map.iter_rules()))
    target = tenants["target"]
    ids = target_documents(app, store, target.id)
    expired = Crossbar(short_lived.url)
    expired.login(target.api_key)
    revoked = Crossbar(server.url)
    revoked.login(target.api_key)
    assert revoked.delete("/token_auth").status_code == 200
    time.sleep(2.1)  # the short-lived token is now expired
    classes: list[tuple[str, Crossbar, str]] = [
        ("another account", tenants["other"].client, "403"),
        ("a child", tenants["child"].client, "403"),
        ("expired", expired, "401"),
        ("revoked", revoked, "401"),
    ]
    for forged in forged_tokens(target.client.token or "", target.id, target.api_key):
        classes.append(("forged", Crossbar(server.url, forged), "401"))
    counts: Counter[tuple[str, str]] = Counter()
    unexpected = []
    for label, client, expected in classes:
        for method, rule in operations + system_wide:
            path = path_of(rule, target.id, ids)
            answer = client.request(
                method, path, {} if method in ("PUT", "POST", "PATCH") else None
            )
            got = outcome(answer.status_code)
            counts[(label, got)] += 1
            if got != expected:
                unexpected.append((label, method, path, answer.status_code))
    # nothing of T changed
    for name, doc_id in ids.items():
        assert store.get(account_db(target.id), doc_id)["name"] == f"target {name}"
    assert target.client.get(f"/accounts/{target.id}").status_code == 200
    # the parent reaches its descendant (deletes last, so the reads find their documents)
    parent = tenants["parent"].client
    for method, rule in sorted(operations, key=lambda op: op[0] == "DELETE"):
        path = path_of(rule, target.id, ids)
        answer = parent.request(method, path, {} if method in ("PUT", "POST", "PATCH") else None)
        got = outcome(answer.status_code)
        counts[("a parent", got)] += 1
        allowed = got == "403" if SYSTEM_ADMIN_ONLY.search(rule) else got not in ("401", "403")
        if not allowed or got == "5xx":
            unexpected.append(("a parent", method, path, answer.status_code))
    # the system's collections: not even a top-level account reaches them (the target's
    # own token was revoked above; tests/api/test_resources.py tries an account's own)
    for method, rule in system_wide:
        path = path_of(rule, target.id, ids)
        answer = parent.request(method, path, {} if method in ("PUT", "POST", "PATCH") else None)
        counts[("a parent on the system's", outcome(answer.status_code))] += 1
        if answer.status_code != 403:
            unexpected.append(("a parent", method, path, answer.status_code))
    table = {f"{label}: {got}": n for (label, got), n in sorted(counts.items())}
    print(
        f"\ntenancy corpus: {len(operations)} account operations and {len(system_wide)} "
        f"system-wide ones x {len(classes) + 1} tokens, "
        f"{sum(counts.values())} attempts: {table}"
    )
    assert unexpected == []
    assert len(operations) >= 90 and len(system_wide) >= 6


def test_given_a_system_admin_when_reaching_any_account_then_allowed(
    tenants: dict[str, LoggedIn], store: DocumentStore, server: RunningServer
) -> None:
    admin = new_account(store, server, superduper_admin=True)
    for target in ("target", "child", "other"):
        account = tenants[target]
        for path in (f"/accounts/{account.id}", f"/accounts/{account.id}/users"):
            assert admin.client.get(path).status_code == 200
    assert admin.client.get(f"/accounts/{'0' * 32}").status_code == 404


def test_given_missing_or_malformed_tokens_when_calling_then_401(
    tenants: dict[str, LoggedIn], server: RunningServer
) -> None:
    target = tenants["target"]
    anonymous = Crossbar(server.url)
    for token in ("", "not-a-token", (target.client.token or "") + "x", "a.b.c"):
        headers = {"X-Auth-Token": token} if token else {}
        answer = anonymous.request("GET", f"/accounts/{target.id}", headers=headers)
        assert answer.status_code == 401, token
