"""TwiML answers turned into callflows (callflow/twiml.py): every verb of the subset gives
nodes that load as a saved callflow would, in the order TwiML runs them; the rest is
refused with the reason."""

from __future__ import annotations

import pytest

from callflow.flow_tree import load_node
from callflow.twiml import to_flow

BASE = "https://ivr.example.com/app/start"


def chain(flow: dict) -> list[tuple[str, dict]]:
    """The modules along the ``_`` children, with their data."""
    steps = []
    while flow:
        steps.append((flow["module"], flow["data"]))
        flow = (flow.get("children") or {}).get("_")
    return steps


def test_given_say_play_pause_and_hangup_then_they_run_in_order():
    flow = to_flow(
        '<Response><Say voice="man" loop="2">Hi</Say><Play>https://m.example.com/a.mp3</Play>'
        '<Pause length="2"/><Hangup/><Say>never</Say></Response>',
        BASE,
    )

    load_node(flow)
    assert [module for module, _ in chain(flow)] == ["tts", "tts", "play", "sleep", "hangup"]
    assert chain(flow)[0][1] == {"text": "Hi", "voice": "male", "language": "en-US"}
    assert chain(flow)[3][1] == {"duration": 2, "unit": "s"}


def test_given_a_gather_then_prompts_collect_and_a_pivot_to_the_relative_action():
    flow = to_flow(
        '<Response><Gather action="next" numDigits="3" finishOnKey="*" timeout="7">'
        "<Say>Enter it</Say></Gather><Redirect>/app/again</Redirect></Response>",
        BASE,
    )

    load_node(flow)
    steps = chain(flow)
    assert [module for module, _ in steps] == [
        "flush_dtmf",
        "tts",
        "collect_dtmf",
        "pivot",
        "pivot",
    ]
    assert steps[2][1] == {"max_digits": 3, "timeout": 7000, "terminators": ["*"]}
    assert steps[3][1] == {
        "voice_url": "https://ivr.example.com/app/next",
        "method": "post",
        "req_format": "twiml",
        "require_digits": True,
    }
    assert steps[4][1]["voice_url"] == "https://ivr.example.com/app/again"


@pytest.mark.parametrize(
    ("dial", "module", "data"),
    [
        ("<Dial>1001</Dial>", "transfer", {"target": "1001"}),
        ("<Dial><Number>+14155550100</Number></Dial>", "transfer", {"target": "+14155550100"}),
        ('<Dial timeout="15"><User>u1</User></Dial>', "user", {"id": "u1", "timeout": 15}),
        ("<Dial><Device>d1</Device></Dial>", "device", {"id": "d1", "timeout": 30}),
        (
            "<Dial><User>u1</User><Device>d1</Device></Dial>",
            "ring_group",
            {
                "endpoints": [
                    {"id": "u1", "endpoint_type": "user"},
                    {"id": "d1", "endpoint_type": "device"},
                ],
                "timeout": 30,
            },
        ),
    ],
)
def test_given_a_dial_then_the_endpoint_module_rings(dial, module, data):
    flow = to_flow(f"<Response>{dial}<Hangup/></Response>", BASE)

    load_node(flow)
    assert chain(flow) == [(module, data), ("hangup", {})]


def test_given_a_dial_with_an_action_then_the_action_is_asked_after_it():
    flow = to_flow(
        '<Response><Dial action="/done"><User>u1</User></Dial><Hangup/></Response>', BASE
    )

    assert [m for m, _ in chain(flow)] == ["user", "pivot"]
    assert chain(flow)[1][1]["voice_url"] == "https://ivr.example.com/done"


def test_given_a_reject_then_busy_or_declined():
    assert chain(to_flow('<Response><Reject reason="busy"/></Response>')) == [
        ("response", {"code": 486})
    ]
    assert chain(to_flow("<Response><Reject/></Response>")) == [("response", {"code": 603})]


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        ("<Response><Record/></Response>", "TwiML verb <Record> is not supported"),
        ("<Reply><Hangup/></Reply>", "TwiML's root is <Response>"),
        ("<Response>", "invalid XML"),
        ("<Response></Response>", "an empty <Response>"),
        ('<!DOCTYPE r [<!ENTITY a "b">]><Response/>', "TwiML with a DTD or entities"),
        ("<Response><Dial><Sip>sip:a@b</Sip></Dial></Response>", "<Dial><Sip> is not supported"),
        ("<Response><Gather><Dial>1</Dial></Gather></Response>", "<Gather> holds only"),
        ('<Response><Pause length="soon"/></Response>', "not a number"),
    ],
)
def test_given_twiml_outside_the_subset_then_it_is_refused_with_the_reason(xml, reason):
    with pytest.raises(ValueError) as refused:
        to_flow(xml, BASE)

    assert reason in str(refused.value)
