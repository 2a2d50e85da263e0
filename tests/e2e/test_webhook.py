"""The ``webhook`` module on the whole pipeline against a real local HTTP server: the
call's data and custom data are posted (or sent as a GET's query), a failing server is
tried again, and the flow goes on at once whatever the server does (slow, broken, gone);
a URI whose host the URL guard denies is refused at save time and never asked at call
time."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from kazoo_tasks.config import Settings
from kazoo_tasks.url_guard import UrlGuard
from tests.e2e.conftest import TONE, assert_refused, node
from tests.waiting import wait_for
from tests.web_server import Answer, WebServer, serving


@pytest.fixture
def web_server() -> Iterator[WebServer]:
    yield from serving()


@pytest.fixture
def quick_stack(stack_factory):
    return stack_factory({"callflow_http_timeout": 1.0})


def test_given_a_webhook_then_the_calls_data_and_custom_data_are_posted_and_the_flow_goes_on(
    quick_stack, account, web_server
):
    uri = web_server.answer("/hook", Answer(200))
    data = {
        "uri": uri,
        "http_verb": "post",
        "custom_data": {"some_id": "123abc", "app": {"name": "cool"}},
    }
    account.callflow(["7300"], node("webhook", data, then=node("play", {"id": TONE})))

    call = quick_stack.emulator.place_call("7300", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [c.args for c in call.commands if c.app == "playback"] == [TONE]
    [hook] = wait_for(lambda: web_server.requests_to("/hook"), 30, "the webhook")
    assert hook.method == "POST"
    assert hook.headers["content-type"] == "application/x-www-form-urlencoded"
    assert hook.form["call_id"] == call.uuid
    assert hook.form["account_id"] == account.id
    assert hook.form["caller_id_number"] == "+14155550100"
    assert hook.form["some_id"] == "123abc"
    assert hook.form["app[name]"] == "cool"


def test_given_a_get_webhook_then_the_data_go_in_the_query(quick_stack, account, web_server):
    uri = web_server.answer("/get", Answer(204, b""))
    account.callflow(["7301"], node("webhook", {"uri": f"{uri}?key=k1", "http_verb": "get"}))

    call = quick_stack.emulator.place_call("7301", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    [hook] = wait_for(lambda: web_server.requests_to("/get"), 30, "the webhook")
    assert hook.method == "GET"
    assert hook.query["key"] == "k1"
    assert hook.query["call_id"] == call.uuid


def test_given_a_broken_then_slow_server_then_the_hook_is_tried_again_and_the_call_never_waits(
    quick_stack, account, web_server
):
    broken = web_server.answer(
        "/broken", Answer(500, b"<html>oops</html>", content_type="text/html"), Answer(200)
    )
    slow = web_server.answer("/slow", Answer(200, delay=5.0))
    flow = node(
        "webhook",
        {"uri": broken, "retries": 3},
        then=node("webhook", {"uri": slow, "retries": 2}, then=node("play", {"id": TONE})),
    )
    account.callflow(["7302"], flow)

    call = quick_stack.emulator.place_call("7302", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [c.args for c in call.commands if c.app == "playback"] == [TONE]
    wait_for(lambda: len(web_server.requests_to("/broken")) == 2, 30, "a second try")
    wait_for(lambda: len(web_server.requests_to("/slow")) == 2, 30, "two tries of the slow hook")
    notes = [e.get("note") for e in account.wait_cdr(call.uuid)["trace"]]
    assert f"webhook post {broken}" in notes and f"webhook post {slow}" in notes


def test_given_a_server_that_is_gone_then_the_flow_goes_on(quick_stack, account):
    account.callflow(
        ["7303"],
        node(
            "webhook",
            {"uri": "http://127.0.0.1:9/nobody", "retries": 1},
            then=node("play", {"id": TONE}),
        ),
    )

    call = quick_stack.emulator.place_call("7303", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [c.args for c in call.commands if c.app == "playback"] == [TONE]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"uri": "ftp://files.example.com/x"}, "uri"),
        ({"uri": "http://example.com/a\nb"}, "uri"),
        ({"uri": "http://example.com", "http_verb": "delete"}, "http_verb"),
        ({"uri": "http://example.com", "retries": "many"}, "retries"),
        ({"uri": "http://example.com", "custom_data": ["a"]}, "custom_data"),
        ({"uri": "http://169.254.169.254/latest/meta-data/"}, "uri"),  # the URL guard's
        ({"uri": "http://10.0.0.8/hook"}, "uri"),
        ({"uri": "http://localhost:8080/hook"}, "uri"),
    ],
)
def test_given_bad_data_when_saved_then_the_callflow_is_refused(account, data, field):
    assert_refused(account, "7399", node("webhook", data), field)


def test_given_kazoos_example_without_uri_or_with_loose_types_then_it_saves(account):
    account.callflow(["7398"], node("webhook", {"retries": "2", "skip_module": "true"}))


def test_given_hooks_to_hosts_the_workers_guard_denies_then_no_request_is_made_and_the_flow_goes_on(  # noqa: E501
    stack_factory, account, web_server
):
    stack = stack_factory({"callflow_http_timeout": 1.0, "pivot_allow_networks": ""})
    by_address = web_server.answer("/by-address", Answer(200))  # http://127.0.0.1:port/...
    port = urlsplit(by_address).port
    name = socket.gethostname()  # a name, not on the deny list, resolving to this machine
    by_name = web_server.answer("/by-name", Answer(200)).replace("127.0.0.1", name)
    assert UrlGuard.from_settings(Settings()).refusal(by_name) is None  # saves: a name
    assert UrlGuard.from_settings(Settings()).resolved_refusal(f"http://{name}:{port}/") is not None
    flow = node(
        "webhook",
        {"uri": by_address, "retries": 3},  # saved while this process allows loopback
        then=node("webhook", {"uri": by_name, "retries": 3}, then=node("play", {"id": TONE})),
    )
    account.callflow(["7304"], flow)

    call = stack.emulator.place_call("7304", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [c.args for c in call.commands if c.app == "playback"] == [TONE]
    refusals = {  # the node's data are checked again with the worker's settings
        by_address: "bad data for webhook at ",  # an address: refused as the node starts
        by_name: f"webhook {by_name} failed (host {name} ",  # a name: refused as resolved
    }
    for uri, refusal in refusals.items():
        wait_for(
            lambda refusal=refusal: any(
                refusal in line and "is in a blacklisted network" in line
                for worker in stack.workers for line in worker.log().splitlines()
            ),
            30,
            f"the worker refusing {uri}",
        )  # fmt: skip
    lines = [line for worker in stack.workers for line in worker.log().splitlines()]
    given_up = [line for line in lines if f"webhook {by_name} failed" in line]
    assert len(given_up) == 1 and "after 1 tries, given up" in given_up[0]  # no retry
    assert web_server.requests_to("/by-address") == []
    assert web_server.requests_to("/by-name") == []
