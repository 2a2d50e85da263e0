"""``pivot`` on the whole pipeline against real local HTTP servers: a normal one (its
callflow runs, the caller's data and digits reach it, GET or POST, form or JSON, TwiML),
and slow, broken and hostile ones (past the timeout, 500, HTML, bad JSON, an invalid
callflow, a 10 MB body, a redirect loop, a pivot back to itself forever, a request that
is never made): the call goes on to ``_`` or ends, it never hangs."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from kazoo_tasks.esl.emulator import script as s
from tests.e2e.conftest import SECOND_TONE, TONE, assert_refused, node
from tests.web_server import Answer, WebServer, serving

JSON = "application/json"


@pytest.fixture
def web_server() -> Iterator[WebServer]:
    yield from serving()


def callflow_answer(flow: dict, **options) -> Answer:
    return Answer(200, json.dumps(flow).encode(), content_type=JSON, **options)


def pivot(url: str, **data) -> dict:
    """A pivot node whose ``_`` (the failure way) plays SECOND_TONE."""
    return node("pivot", {"voice_url": url, "req_timeout_ms": 1000, **data}, then=node(
        "play", {"id": SECOND_TONE}
    ))  # fmt: skip


def played(call) -> list[str]:
    return [c.args for c in call.commands if c.app == "playback"]


def notes(account, call_id: str) -> list[str]:
    trace = account.wait_cdr(call_id)["trace"]
    return [t["note"] for t in trace if t["step"] == "note" and t.get("module") == "pivot"]


def test_given_a_server_that_answers_a_callflow_then_it_runs_with_the_callers_data_sent(
    stack, account, web_server
):
    flow = node("tts", {"text": "hello"}, then=node("play", {"id": TONE}))
    url = web_server.answer("/next", callflow_answer(flow))
    account.callflow(["7400"], pivot(url))

    call = stack.emulator.place_call("7400", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [c.app for c in call.commands if c.app in ("speak", "playback")] == ["speak", "playback"]
    assert played(call) == [TONE]
    [asked] = web_server.requests_to("/next")
    assert asked.method == "GET"
    assert asked.query["Call-ID"] == call.uuid
    assert asked.query["Account-ID"] == account.id
    assert asked.query["Caller-ID-Number"] == "+14155550100"
    assert asked.query["Request"] == "7400"
    assert asked.query["Api-Version"] == "4.x"
    trace = account.wait_cdr(call.uuid)["trace"]
    assert any(t.get("outcome") == "continue_with:pivot" for t in trace)


def test_given_collected_digits_and_a_json_post_then_they_are_posted_and_the_wrapped_flow_runs(
    stack, account, web_server
):
    url = web_server.answer("/post", callflow_answer({"flow": node("play", {"id": TONE})}))
    collect = {"collection_name": "pin", "max_digits": 4, "timeout": 3000}
    flow = node(
        "collect_dtmf",
        collect,
        then=pivot(url, method="POST", req_body_format="json", debug=True),
    )
    account.callflow(["7401"], flow)

    call = stack.emulator.place_call(
        "7401",
        variables=account.variables,
        script=[s.on_app("play_and_get_digits").wait(0.5).press("1234")],
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert played(call) == [TONE]
    [asked] = web_server.requests_to("/post")
    assert asked.method == "POST"
    assert asked.headers["content-type"] == JSON
    assert json.loads(asked.body)["Digits"] == {"pin": "1234"}
    answers = [n for n in notes(account, call.uuid) if n.startswith("pivot answer: 200")]
    assert answers and JSON in answers[0]


def test_given_twiml_then_say_and_gather_run_and_the_digits_go_to_the_action(
    stack, account, web_server
):
    first = b"""<?xml version="1.0"?>
    <Response>
      <Gather action="/gathered" numDigits="2" timeout="3"><Say>Two digits please</Say></Gather>
      <Play>tone_stream://%(200,0,440)</Play>
    </Response>"""
    second = b"<Response><Play>tone_stream://%(100,0,660)</Play><Hangup/></Response>"
    url = web_server.answer("/twiml", Answer(200, first, content_type="text/xml"))
    web_server.answer("/gathered", Answer(200, second, content_type="application/xml"))
    account.callflow(["7402"], node("pivot", {"voice_url": url, "req_format": "twiml"}))

    call = stack.emulator.place_call(
        "7402",
        variables=account.variables,
        script=[s.on_app("play_and_get_digits").wait(0.5).press("42")],
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [c.app for c in call.commands if c.app in ("speak", "play_and_get_digits")] == [
        "speak",
        "play_and_get_digits",
    ]
    assert played(call) == [SECOND_TONE]
    [gathered] = web_server.requests_to("/gathered")
    assert gathered.method == "POST"
    assert gathered.form["Digits"] == "42"
    assert gathered.form["CallSid"] == call.uuid


def test_given_twiml_gather_without_digits_then_the_next_verb_runs(stack, account, web_server):
    body = b"""<Response><Gather action="/never" timeout="1"><Pause length="1"/></Gather>
    <Say voice="man">Goodbye</Say></Response>"""
    url = web_server.answer("/quiet", Answer(200, body, content_type="text/xml"))
    account.callflow(["7403"], node("pivot", {"voice_url": url, "req_format": "twiml"}))

    call = stack.emulator.place_call("7403", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [c.args for c in call.commands if c.app == "speak"] == ["flite|rms|Goodbye"]
    assert web_server.requests_to("/never") == []


BROKEN = {
    "slow": (Answer(200, b"{}", content_type=JSON, delay=3.0), "pivot failed: timeout"),
    "error": (Answer(500, b"oops"), "pivot failed: HTTP 500"),
    "html": (
        Answer(200, b"<html>hi</html>", content_type="text/html"),
        "pivot answer refused: content type 'text/html' is neither JSON nor XML",
    ),
    "bad-json": (Answer(200, b"{nope", content_type=JSON), "pivot answer refused: invalid JSON"),
    "bad-flow": (
        callflow_answer({"module": "no_such_module", "data": {}}),
        "pivot answer refused: invalid callflow",
    ),
    "bad-xml": (
        Answer(200, b"<Response><Launch/></Response>", content_type="text/xml"),
        "pivot answer refused: TwiML verb <Launch> is not supported",
    ),
    "huge": (
        Answer(200, b"x" * 10_000_000, content_type=JSON),
        "pivot failed: body of 10000000 bytes",
    ),
    "huge-unannounced": (
        Answer(200, b"[" * 10_000_000, content_type=JSON, declare_length=False),
        "pivot failed: body larger than",
    ),
    "redirect-loop": (
        Answer(302, b"", headers={"Location": "/redirect-loop"}),
        "pivot failed: more than 5 redirects",
    ),
    "redirect-to-metadata": (  # a redirect is checked against the blacklist too
        Answer(302, b"", headers={"Location": "http://169.254.169.254/latest/meta-data/"}),
        "pivot failed: host 169.254.169.254 (169.254.169.254) is in a blacklisted network",
    ),
}


def test_given_slow_broken_and_hostile_servers_then_every_call_goes_on_to_the_failure_child(
    stack, account, web_server
):
    calls = {}
    for index, (path, (answer, _)) in enumerate(BROKEN.items()):
        url = web_server.answer(f"/{path}", answer)
        account.callflow([f"741{index}"], pivot(url))
    for index, path in enumerate(BROKEN):
        calls[path] = stack.emulator.place_call(f"741{index}", variables=account.variables)

    for path, (_, note) in BROKEN.items():
        call = calls[path]
        assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING", path
        assert played(call) == [SECOND_TONE], path
        assert any(n.startswith(note) for n in notes(account, call.uuid)), (
            path,
            notes(account, call.uuid),
        )


def test_given_a_server_that_pivots_back_to_itself_forever_then_the_call_ends_after_the_cap(
    stack, account, web_server
):
    url = f"{web_server.url}/again"
    web_server.answer("/again", callflow_answer(node("pivot", {"voice_url": url})))
    account.callflow(["7420"], pivot(url))

    call = stack.emulator.place_call("7420", variables=account.variables)

    assert call.wait_hangup(timeout=60) == "NORMAL_CLEARING"
    assert len(web_server.requests_to("/again")) == 25
    assert played(call) == []
    assert "more than 25 pivot requests in this call: not asked" in notes(account, call.uuid)


def test_given_a_request_that_is_never_made_then_the_timer_sends_the_call_to_the_failure_child(
    stack_factory, account, web_server
):
    stack = stack_factory(worker_args=("--roles", "callflow"))  # nobody serves housekeeping
    url = web_server.answer("/lost", callflow_answer(node("play", {"id": TONE})))
    account.callflow(["7421"], pivot(url, req_timeout_ms=200))

    call = stack.emulator.place_call("7421", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert played(call) == [SECOND_TONE]  # the CDR (a housekeeping task) is not written
    assert web_server.requests_to("/lost") == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "voice_url"),
        ({"voice_url": "ftp://example.com/x"}, "voice_url"),
        ({"voice_url": "http://example.com/a\nb"}, "voice_url"),
        ({"voice_url": "http://example.com", "method": "put"}, "method"),
        ({"voice_url": "http://example.com", "req_timeout_ms": 6000}, "req_timeout_ms"),
        ({"voice_url": "http://example.com", "req_format": "vxml"}, "req_format"),
        ({"voice_url": "http://example.com", "req_body_format": "xml"}, "req_body_format"),
        ({"voice_url": "http://169.254.169.254/latest/meta-data/"}, "voice_url"),
        ({"voice_url": "http://10.1.2.3:8080/flow"}, "voice_url"),
        ({"voice_url": "https://192.168.0.10/flow"}, "voice_url"),
        ({"voice_url": "http://[::1]:8000/flow"}, "voice_url"),
        ({"voice_url": "http://LOCALHOST./flow"}, "voice_url"),
    ],
)
def test_given_bad_data_when_saved_then_the_callflow_is_refused(account, data, field):
    assert_refused(account, "7499", node("pivot", data), field)


def test_given_kazoos_documented_example_with_loose_types_then_it_saves(account):
    data = {"method": "GET", "req_timeout": "5", "req_format": "kazoo", "debug": "false"}
    account.callflow(["7498"], node("pivot", {**data, "voice_url": "http://example.com/x"}))


def test_given_a_server_on_loopback_when_the_blacklist_does_not_allow_it_then_not_asked(
    stack_factory, account, web_server
):
    stack = stack_factory(overrides={"pivot_allow_networks": ""})  # the default blacklist
    url = web_server.answer("/local", callflow_answer(node("play", {"id": TONE})))
    account.callflow(["7422"], pivot(url))  # saved while this process allows loopback

    call = stack.emulator.place_call("7422", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert played(call) == [SECOND_TONE]
    assert web_server.requests_to("/local") == []
    trace = account.wait_cdr(call.uuid)["trace"]  # the worker refused the node's voice_url
    assert any("in a blacklisted network" in json.dumps(step) for step in trace), trace
