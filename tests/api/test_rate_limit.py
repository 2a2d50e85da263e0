"""Brute force on the login endpoints is limited (counters in Redis) and answered 429."""

from __future__ import annotations

from typing import Any

from api.app import create_app
from api.server import start_in_thread
from kazoo_tasks.docstore import DocumentStore
from tests.api.conftest import Crossbar


def test_given_repeated_bad_logins_when_over_the_limit_then_429_in_the_envelope(
    api_settings: Any, store: DocumentStore
) -> None:
    settings = api_settings.with_overrides(api_auth_rate_limit="5/minute")
    running = start_in_thread(create_app(settings, store))
    try:
        client = Crossbar(running.url)
        codes = [client.put("/api_auth", {"api_key": f"guess-{n}"}).status_code for n in range(5)]
        assert codes == [401] * 5
        limited = client.put("/api_auth", {"api_key": "guess-6"})
        assert limited.status_code == 429
        assert limited.json()["error"] == "429"
        assert limited.json()["message"] == "too_many_requests"
        assert int(limited.headers["Retry-After"]) > 0
        other = client.put("/user_auth", {"credentials": "0" * 32, "account_name": "x"})
        assert other.status_code == 429  # one budget for both login endpoints
    finally:
        running.stop()
