"""``function`` on the whole pipeline: a function document's JavaScript, saved as the API
saves it, runs in the worker with the call's data and the call branches to the flow it
returns (Kazoo's "Say hi" example; a function that routes on the caller's number); the
node's ``_`` resumes when that flow ends, as after Kazoo's branch. A function that loops
forever, throws, returns no flow or an invalid one, is disabled or does not exist sends
the call to ``_``, with the reason in its trace, and the workers keep serving calls. The
same on CouchDB."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from api.documents import DocumentService
from api.functions.resource import SPEC as FUNCTIONS
from kazoo_tasks.config import Settings
from tests.e2e.conftest import SECOND_TONE, TONE, Account, node

SAY_HI = (
    "return {'module':'tts', 'data':{'text':'Thanks for calling us ' + call['Caller-ID-Name']}};"
)
"""Kazoo's example 1 (applications/crossbar/doc/functions.md), as its docs write it."""
BY_CALLER = f"""
if (call['Caller-ID-Number'] === '+14155550100') {{
  return {{module: 'play', data: {{id: '{TONE}'}}}};
}}
return {{module: 'play', data: {{id: '{SECOND_TONE}'}}, children: {{}}}};
"""
"""A function that routes on the caller's number."""
WORKER_LOOPS = 4
"""Calls whose function loops forever, placed at once (more than the stack's workers)."""


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The embedded store, or (parametrized ``"couch"``) the session's test CouchDB."""
    if getattr(request, "param", "embedded") == "couch":
        return settings.with_overrides(couchdb_url=request.getfixturevalue("couchdb_url"))
    return settings


@pytest.fixture
def account(store) -> Account:
    """An account of its own name (the session's CouchDB is shared by every test)."""
    return Account(store, f"E2E functions {uuid.uuid4().hex[:8]}")


def function(store, account: Account, body: str, **fields: Any) -> str:
    """A function document saved as the API saves it; its id."""
    doc = {"name": "test function", "function_js": body, **fields}
    return DocumentService(store, FUNCTIONS).create(account.id, doc)["_id"]


def function_node(function_id: str) -> dict[str, Any]:
    """A ``function`` node whose ``_`` plays SECOND_TONE."""
    return node("function", {"id": function_id}, then=node("play", {"id": SECOND_TONE}))


def played(call) -> list[str]:
    return [c.args for c in call.commands if c.app == "playback"]


def notes(account: Account, call_id: str) -> list[str]:
    trace = account.wait_cdr(call_id)["trace"]
    return [t["note"] for t in trace if t["step"] == "note" and t.get("module") == "function"]


def outcomes(account: Account, call_id: str) -> list[str]:
    trace = account.wait_cdr(call_id)["trace"]
    return [t["outcome"] for t in trace if t.get("module") == "function" and "outcome" in t]


@pytest.mark.parametrize("settings", ["embedded", "couch"], indirect=True)
def test_given_kazoos_say_hi_function_when_called_then_it_speaks_and_the_nodes_child_resumes(
    stack, store, account
):
    account.callflow(["7500"], function_node(function(store, account, SAY_HI)))

    call = stack.emulator.place_call(
        "7500", caller_id_name="Bob Caller", variables=account.variables
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    [spoken] = [c.args for c in call.commands if c.app == "speak"]
    assert spoken.endswith("|Thanks for calling us Bob Caller")
    assert played(call) == [SECOND_TONE]  # the branch ended: the node's `_` resumed
    assert [c.app for c in call.commands if c.app in ("speak", "playback")] == ["speak", "playback"]
    assert outcomes(account, call.uuid) == ["branch_with:function"]


def test_given_a_function_on_the_callers_number_then_each_caller_gets_its_flow(
    stack, store, account
):
    account.callflow(["7501"], function_node(function(store, account, BY_CALLER)))

    known = stack.emulator.place_call("7501", variables=account.variables)
    other = stack.emulator.place_call(
        "7501", caller_id_number="+442079460000", variables=account.variables
    )

    assert known.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert other.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert played(known) == [TONE, SECOND_TONE]
    assert played(other) == [SECOND_TONE, SECOND_TONE]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("throw new Error('no route for you');", "failed: Error: no route for you"),
        ("return 42;", "returned no valid flow"),
        ("var x = 1;", "returned no valid flow"),
        ("return {'module': 'no_such_module', 'data': {}};", "Unknown callflow module"),
        ("return {'module': 'play', 'data': {'id': 5}};", "returned no valid flow"),
        ("return {'module': 'function', 'data': {}, 'children': []};", "returned no valid flow"),
        ("var s = 'x'; while (true) { s = s + s; }", "out of memory"),
        ("function f() { return f() + 1; } return f();", "stack overflow"),
    ],
    ids=["throws", "number", "nothing", "unknown module", "bad data", "bad children", "memory",
         "recursion"],
)  # fmt: skip
def test_given_a_function_without_a_valid_flow_then_the_call_goes_to_the_wildcard(
    stack, store, account, body, reason
):
    account.callflow(["7502"], function_node(function(store, account, body)))

    call = stack.emulator.place_call("7502", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert played(call) == [SECOND_TONE]
    [note] = notes(account, call.uuid)
    assert reason in note, note
    assert outcomes(account, call.uuid) == ["continue:_"]


@pytest.mark.parametrize("case", ["disabled", "missing", "deleted", "no id", "not a function"])
def test_given_no_function_to_run_then_the_call_goes_to_the_wildcard(stack, store, account, case):
    functions = DocumentService(store, FUNCTIONS)
    function_id = function(store, account, SAY_HI, enabled=case != "disabled")
    if case == "missing":
        function_id = uuid.uuid4().hex
    if case == "deleted":
        functions.delete(account.id, function_id)
    if case == "not a function":
        function_id = account.callflow(["7599"], node("play", {"id": TONE}))
    data = {} if case == "no id" else {"id": function_id}
    account.callflow(["7503"], node("function", data, then=node("play", {"id": SECOND_TONE})))

    call = stack.emulator.place_call("7503", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert played(call) == [SECOND_TONE]
    assert not [c for c in call.commands if c.app == "speak"]
    expected = {"disabled": "disabled", "no id": "no id"}.get(case, "no such function")
    [note] = notes(account, call.uuid)
    assert expected in note, note


def test_given_functions_that_loop_forever_then_calls_go_on_and_the_workers_keep_serving(
    stack, store, account
):
    looper = function(store, account, "while (true) {}")
    account.callflow(["7504"], function_node(looper))
    account.callflow(["7505"], function_node(function(store, account, SAY_HI)))

    looping = stack.emulator.place_calls(
        WORKER_LOOPS, destination="7504", variables=account.variables
    ).result(60)
    after = stack.emulator.place_call("7505", variables=account.variables)

    for call in looping:
        assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
        assert played(call) == [SECOND_TONE]
        assert notes(account, call.uuid) == [f"function {looper} failed: time limit exceeded"]
    assert after.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [c.app for c in after.commands if c.app in ("speak", "playback")] == [
        "speak",
        "playback",
    ]


def test_given_a_function_that_branches_to_itself_then_the_call_ends_at_the_branch_limit(
    stack, store, account
):
    functions = DocumentService(store, FUNCTIONS)
    itself = function(store, account, "return null;")
    body = f"return {{module: 'function', data: {{id: '{itself}'}}}};"
    functions.patch(account.id, itself, {"function_js": body})
    account.callflow(["7506"], function_node(itself))

    call = stack.emulator.place_call("7506", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert played(call) == []  # ended: no `_` of the 50 pushed is resumed
    trace = account.wait_cdr(call.uuid)["trace"]
    branches = outcomes(account, call.uuid).count("branch_with:function")
    assert branches == stack.settings.branch_limit + 1  # the last one refused at the limit
    assert [t for t in trace if t.get("outcome") == "branch_limit"]
