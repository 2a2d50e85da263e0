"""The pivot blacklist (:mod:`kazoo_tasks.url_guard`): loopback, link-local and private
networks and listed host names are refused by default; allowed networks win; a host name
is refused at call time when it resolves into a denied network."""

from __future__ import annotations

import pytest

from kazoo_tasks.config import Settings
from kazoo_tasks.url_guard import UrlGuard

DEFAULT = UrlGuard.from_settings(Settings())


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/flow",
        "http://127.1.2.3/",
        "http://0.0.0.0/",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[fd00::5]/",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost/",
        "http://LocalHost./x",
    ],
)
def test_given_the_default_settings_when_a_local_or_private_host_then_refused(url: str) -> None:
    assert DEFAULT.refusal(url) is not None


@pytest.mark.parametrize(
    "url", ["http://93.184.216.34/", "https://pivot.example.com/flow", "http://[2001:db8::1]/"]
)
def test_given_the_default_settings_when_a_public_host_then_allowed(url: str) -> None:
    assert DEFAULT.refusal(url) is None


def test_given_an_allowed_network_when_inside_a_denied_one_then_the_allowed_one_wins() -> None:
    guard = UrlGuard.from_settings(Settings(pivot_allow_networks="10.1.2.0/24"))
    assert guard.refusal("http://10.1.2.7/") is None
    assert guard.refusal("http://10.1.3.7/") is not None


def test_given_a_name_that_resolves_to_loopback_when_asked_then_refused_after_resolution() -> None:
    guard = UrlGuard.from_settings(Settings(pivot_deny_hosts=""))
    assert guard.refusal("http://localhost:8000/") is None  # the URL alone does not say
    refused = guard.resolved_refusal("http://localhost:8000/")
    assert refused is not None and "blacklisted network" in refused
    allowing = UrlGuard.from_settings(
        Settings(pivot_deny_hosts="", pivot_allow_networks="127.0.0.0/8,::1/128")
    )
    assert allowing.resolved_refusal("http://localhost:8000/") is None
