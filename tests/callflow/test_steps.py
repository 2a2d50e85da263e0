"""The step helper in the engine (real RabbitMQ, Redis and worker; the switch stand-in):
bad data refused when the callflow is saved, every event delivered twice applied once, a
refused command handed to the generator, a generator that does not replay the same way
stopped cleanly."""

from __future__ import annotations

import pytest

from tests.callflow.conftest import ACCOUNT_ID, cdr_of, node
from tests.module_dist import installed_modules
from tests.waiting import wait_for

PROMPT = "tone_stream://prompt"
INVALID = "tone_stream://invalid"
DONE_TONE = "tone_stream://done"


def menu(**children: dict) -> dict:
    data = {"prompt": PROMPT, "invalid": INVALID, "retries": 2, "timeout": 1, "grace": 0.2}
    return node("probe_menu", data, **children)


def collect(seq: int) -> str:
    return (
        f"play_and_get_digits 1 1 1 1000 # {PROMPT} silence kazoo_collected_{seq} [0-9*#A-D]+ 2000"
    )


def test_given_a_step_module_node_with_bad_data_when_the_callflow_is_saved_through_the_api_then_it_is_refused_naming_the_fields(  # noqa: E501
    test_modules, api_account
):
    bad = node("probe_menu", {"prompt": "ftp://nope", "invalid": INVALID, "retries": 0})

    answer = api_account.client.put(
        f"/accounts/{api_account.id}/callflows", {"numbers": ["3200"], "flow": bad}
    )

    assert answer.status_code == 400, answer.text
    errors = answer.json()["data"]
    assert set(errors) == {"flow.data.prompt", "flow.data.retries"}, errors


def test_given_every_event_delivered_twice_when_the_caller_stays_silent_then_each_step_runs_once(
    test_modules, worker, switch, save_callflow, documents
):
    switch.duplicate_events = True
    save_callflow(
        "cf-menu", menu(timeout=node("play", {"id": DONE_TONE, "answer": False})), ["3200"]
    )

    call_id = switch.park("3200", account_id=ACCOUNT_ID)

    assert switch.wait_ended([call_id]) == []
    assert switch.apps(call_id) == [
        "answer",
        collect(1),
        f"playback {DONE_TONE}",
        "hangup NORMAL_CLEARING",
    ]
    cdr = wait_for(lambda: cdr_of(documents, call_id))
    menu_trace = [t for t in cdr["trace"] if t.get("module") == "probe_menu"]
    assert [t["outcome"] for t in menu_trace if t["step"] != "note"] == ["wait", "continue:timeout"]
    assert [t["note"] for t in menu_trace if t["step"] == "note"] == [
        "Answer: done",
        "Collect: timeout",
        "Wait: timeout",
    ]


def test_given_a_collect_that_the_switch_refuses_when_the_menu_retries_then_the_generator_gets_the_error_and_runs_out_of_retries(  # noqa: E501
    test_modules, worker, switch, save_callflow
):
    switch.refuse_apps.add("play_and_get_digits")
    save_callflow(
        "cf-menu", menu(max_retries=node("play", {"id": DONE_TONE, "answer": False})), ["3200"]
    )

    call_id = switch.park("3200", account_id=ACCOUNT_ID)

    assert switch.wait_ended([call_id]) == []
    assert switch.apps(call_id) == [
        "answer",
        collect(1),
        f"playback {INVALID}",
        collect(3),
        f"playback {INVALID}",
        f"playback {DONE_TONE}",
        "hangup NORMAL_CLEARING",
    ]


DRIFTING = """
import itertools

from callflow.steps import Play, StepModule

_runs = itertools.count()


class Drifting(StepModule):
    def steps(self, ctx):
        yield Play(f"tone_stream://run-{next(_runs)}")  # not the same step on a replay
        yield Play("tone_stream://never")
"""


@pytest.fixture
def drifting_module(tmp_path):
    with installed_modules(
        tmp_path, "drifting_module", DRIFTING, {"drift": "drifting_module:Drifting"}
    ):
        yield "drift"


def test_given_a_step_module_that_does_not_replay_the_same_steps_when_its_step_completes_then_the_call_continues_to_its_wildcard_child(  # noqa: E501
    drifting_module, worker, switch, save_callflow, documents
):
    flow = node(drifting_module, _=node("play", {"id": DONE_TONE, "answer": False}))
    save_callflow("cf-drift", flow, ["3300"])

    call_id = switch.park("3300", account_id=ACCOUNT_ID)

    assert switch.wait_ended([call_id]) == []
    assert switch.apps(call_id) == [
        "playback tone_stream://run-0",
        f"playback {DONE_TONE}",
        "hangup NORMAL_CLEARING",
    ]
    cdr = wait_for(lambda: cdr_of(documents, call_id))
    (crash,) = [t for t in cdr["trace"] if t.get("note", "").startswith("crashed")]
    assert "StepReplayError" in crash["note"] and crash["outcome"] == "continue:_"


PIN = """
from callflow.outcomes import Continue
from callflow.steps import Collect, StepModule


class Pin(StepModule):
    def steps(self, ctx):
        got = yield Collect(max_digits=4, timeout=3, secret=True)
        ctx.set_ccv("pin_ok", str(got.digits == "1234"))
        return Continue()
"""


@pytest.fixture
def pin_module(tmp_path):
    with installed_modules(tmp_path, "pin_module", PIN, {"pin": "pin_module:Pin"}):
        yield "pin"


def test_given_a_secret_collect_when_the_switch_returns_the_digits_then_the_module_gets_them_and_the_trace_masks_them(  # noqa: E501
    pin_module, worker, switch, save_callflow, documents
):
    switch.hold_apps.add("play_and_get_digits")
    save_callflow("cf-pin", node(pin_module), ["3400"])
    call_id = switch.park("3400", account_id=ACCOUNT_ID)
    wait_for(lambda: switch.executed[call_id], what="the collect")
    (collect_command,) = switch.executed[call_id]
    variable = collect_command["args"].split()[7]

    headers = {"Answer-State": "answered", f"variable_{variable}": "1234"}
    headers["variable_read_result"] = "success"
    switch.deliver(
        switch.event(
            call_id,
            "CHANNEL_EXECUTE_COMPLETE",
            application_name="play_and_get_digits",
            application_uuid=collect_command["id"],
            headers=headers,
        )
    )

    assert switch.wait_ended([call_id]) == []
    cdr = wait_for(lambda: cdr_of(documents, call_id))
    assert cdr["custom_channel_vars"]["pin_ok"] == "True"
    assert [t["note"] for t in cdr["trace"] if t["step"] == "note"] == ["Collect: done ****"]
