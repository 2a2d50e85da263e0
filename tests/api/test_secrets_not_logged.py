"""Secrets are never logged: every log record of every logger, at DEBUG, while logging in
(api key, Kazoo credentials, username and password), failing to, rotating an api key,
changing a password and logging out, holds no api key, token, password or password
digest, in text or as the JSON lines of ``KAZOO_LOG_FORMAT=json``; and the API's lines
carry their request id."""

from __future__ import annotations

import hashlib
import logging

import pytest

from kazoo_tasks.docstore import DocumentStore, account_db
from kazoo_tasks.logs import ContextFilter, JsonFormatter
from tests.api.test_tokens import make_user
from tests.crossbar import LoggedIn


def test_given_logins_rotations_and_logouts_when_logs_are_read_then_no_secret_is_in_them(
    root: LoggedIn, store: DocumentStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(ContextFilter())
    client, name = root.client, root.account["name"]
    secrets = [root.api_key, client.token or "", "pw-secret-1", "pw-secret-2", "wrong-secret"]

    user_id = make_user(root, "logged", "pw-secret-1")
    credentials = hashlib.md5(b"logged:pw-secret-1").hexdigest()
    stored = store.get(account_db(root.id), user_id)
    secrets += [credentials, stored["pvt_sha1_auth"], stored["pvt_password_hash"]]
    by_digest = client.put("/user_auth", {"credentials": credentials, "account_name": name})
    by_password = client.put(
        "/user_auth", {"username": "logged", "password": "pw-secret-1", "account_name": name}
    )
    secrets += [by_digest.json()["auth_token"], by_password.json()["auth_token"]]
    for failed in (
        {"username": "logged", "password": "wrong-secret", "account_name": name},
        {"credentials": hashlib.md5(b"logged:wrong-secret").hexdigest(), "account_name": name},
    ):
        assert client.put("/user_auth", failed, token="").status_code == 401
        secrets.append(failed.get("credentials", ""))
    assert client.put("/api_auth", {"api_key": "f" * 64}, token="").status_code == 401
    secrets.append("f" * 64)

    changed = client.patch(f"/accounts/{root.id}/users/{user_id}", {"password": "pw-secret-2"})
    assert changed.status_code == 200
    secrets.append(store.get(account_db(root.id), user_id)["pvt_password_hash"])
    rotated = client.put(f"/accounts/{root.id}/api_key").json()["data"]["api_key"]
    secrets.append(rotated)
    token = client.login(rotated)
    secrets.append(token)
    assert client.get("/token_auth").status_code == 200
    assert client.delete("/token_auth").status_code == 200
    assert client.get(f"/accounts/{root.id}").status_code == 401  # a revoked token refused

    as_json = [JsonFormatter().format(r) for r in caplog.records]
    logged = "\n".join(
        [caplog.text, *as_json]
        + [f"{r.getMessage()} {r.args!r} {r.__dict__!r}" for r in caplog.records]
    )
    api_records = [r for r in caplog.records if r.name.startswith("api.")]
    assert api_records and all(getattr(r, "request_id", "") for r in api_records)
    assert "token issued" in logged and "rotated" in logged  # the log was captured
    leaked = [secret for secret in secrets if secret and secret in logged]
    assert leaked == []
