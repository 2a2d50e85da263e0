"""nomorobo on the whole pipeline, against a real HTTP server standing in for Nomorobo
(``KAZOO_NOMOROBO_URL``): the caller and the number called are sent as ten-digit numbers
with the node's credentials, the score picks the child (the highest not above it, else
the lowest), and a failed or unreadable answer goes to ``_``, else ``0``, else stops."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import TONE, assert_refused, node
from tests.web_server import Answer, WebServer, serving

LOW, HIGH = "tone_stream://%(100,0,300)", "tone_stream://%(100,0,900)"


@pytest.fixture
def scorer() -> Iterator[WebServer]:
    yield from serving()


@pytest.fixture
def robo_stack(stack_factory, scorer: WebServer):
    return stack_factory({"nomorobo_url": f"{scorer.url}/v1/check", "callflow_http_timeout": 2.0})


def _flow(children: dict) -> dict:
    flow = node("nomorobo", {"username": "acme", "password": "s3cret"})
    flow["children"] = children
    return flow


def _played(call) -> list[str]:
    return [c.args for c in call.commands if c.app == "playback"]


@pytest.mark.parametrize(
    ("body", "heard"),
    [(b'{"score": 0.97}', HIGH), (b'{"score": 0.35}', LOW), (b'{"score": 0.05}', TONE)],
    ids=["robocaller", "between", "below-every-key-but-_"],
)
def test_given_a_score_then_the_highest_child_not_above_it_is_taken(
    robo_stack, scorer: WebServer, account, body, heard
):
    scorer.answer("/v1/check", Answer(200, body, content_type="application/json"))
    account.callflow(["+14155557000"], _flow({
        "_": node("play", {"id": TONE}), "3": node("play", {"id": LOW}),
        "9": node("play", {"id": HIGH}),
    }))  # fmt: skip

    call = robo_stack.emulator.place_call("+14155557000", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert _played(call) == [heard]
    [asked] = scorer.requests_to("/v1/check")
    assert asked.query == {"From": "4155550100", "To": "4155557000"}
    expected = "Basic " + base64.b64encode(b"acme:s3cret").decode()
    assert asked.headers.get("authorization") == expected


@pytest.mark.parametrize(
    ("answer", "children", "heard"),
    [
        (Answer(500, b"oops"), {"_": TONE, "5": HIGH}, [TONE]),
        (Answer(200, b"<html>"), {"0": LOW, "5": HIGH}, [LOW]),
        (Answer(200, b'{"score": 0.9}', delay=5.0), {"5": HIGH}, []),
    ],
    ids=["error-goes-to-_", "not-json-goes-to-0", "timeout-without-_-or-0-stops"],
)
def test_given_no_score_then_the_default_child_is_taken_or_the_call_stops(
    robo_stack, scorer: WebServer, account, answer, children, heard
):
    scorer.answer("/v1/check", answer)
    flow = _flow({key: node("play", {"id": media}) for key, media in children.items()})
    account.callflow(["7001"], flow)

    call = robo_stack.emulator.place_call("7001", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert _played(call) == heard


def test_given_nomorobo_without_a_username_when_saved_then_it_is_refused(account):
    assert_refused(account, "7002", node("nomorobo", {"password": "x"}), "username")
