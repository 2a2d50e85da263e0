"""``menu`` through the whole pipeline: a menus document saved through the API's service,
scripted callers on the emulator, and each of Kazoo's ways out of cf_menu: a digit child,
``timeout``, ``max_retries``, ``_`` (or the end of the call), dialing an extension of the
account (hunt, allowed and denied), a caller who hangs up, a missing menu or greeting."""

from __future__ import annotations

from typing import Any

import pytest

from api.documents import DocumentService
from api.menus.resource import SPEC as MENUS
from kazoo_tasks.esl.emulator import script as s
from kazoo_tasks.testing import TestAccount, node
from kazoo_tasks.testing.processes import wait_for_workers
from tests.e2e.conftest import assert_refused

GREETING = "tone_stream://%(1000,0,500)"
INVALID = "tone_stream://%(500,0,300)"
EXIT = "tone_stream://%(300,0,700)"
TRANSFER = "tone_stream://%(200,0,900)"
ONE = "tone_stream://%(100,0,440)"
TIMEOUT = "tone_stream://%(100,0,550)"
MAX_RETRIES = "tone_stream://%(100,0,660)"
WILDCARD = "tone_stream://%(100,0,770)"
EXTENSION = "tone_stream://%(100,0,880)"
COLLECT = "play_and_get_digits"
FLUSH = ("flush_dtmf", "")
SYSTEM_INVALID = "ivr/ivr-that_was_an_invalid_entry.wav"
SYSTEM_EXIT = "voicemail/vm-goodbye.wav"


def collect(seq: int, prompt: str = GREETING, timeout: int = 2000, interdigit: int = 1000):
    """The play_and_get_digits of the ``seq``-th command (4 digits at most, ``#`` ends)."""
    args = f"1 4 1 {timeout} # {prompt} silence kazoo_collected_{seq} [0-9*#A-D]+ {interdigit}"
    return (COLLECT, args)


def play(media: str) -> tuple[str, str]:
    return ("playback", media)


def save_menu(account: TestAccount, **overrides: Any) -> str:
    """A menus document as the API saves it: two tries, 2 s for a digit, 1 s between."""
    data = {
        "name": "Main menu",
        "retries": 2,
        "timeout": 2000,
        "interdigit_timeout": 1000,
        "max_extension_length": 4,
        "media": {
            "greeting": GREETING,
            "invalid_media": INVALID,
            "exit_media": EXIT,
            "transfer_media": TRANSFER,
        },
        **overrides,
    }
    return DocumentService(account.store, MENUS).create(account.id, data)["_id"]


def menu_node(menu_id: str, children: dict[str, str]) -> dict[str, Any]:
    kids = {key: node("play", {"id": tone}) for key, tone in children.items()}
    return node("menu", {"id": menu_id}, **kids)


def menu_outcome(cdr: dict) -> str:
    """The outcome the menu node ended with."""
    moves = [t for t in cdr["trace"] if t.get("module") == "menu" and t["step"] != "note"]
    return moves[-1]["outcome"]


ALL_CHILDREN = {"1": ONE, "timeout": TIMEOUT, "max_retries": MAX_RETRIES}
PRESS_9_TWICE = [s.on_playback(1).press("9"), s.on_playback(3).press("9")]

SCENARIOS: dict[str, tuple[dict, dict, list, list, str]] = {
    # name: (menu document overrides, children, caller, what the switch ran, menu outcome)
    "a digit that names a child": (
        {},
        ALL_CHILDREN,
        [s.on_playback(1).press("1")],
        [("answer", ""), collect(1), play(ONE)],
        "continue:1",
    ),
    "silence, with a timeout child": (
        {},
        ALL_CHILDREN,
        [],
        [("answer", ""), collect(1), play(TIMEOUT)],
        "continue:timeout",
    ),
    "wrong digits until the tries run out": (
        {},
        ALL_CHILDREN,
        PRESS_9_TWICE,
        [
            ("answer", ""),
            collect(1),
            play(INVALID),
            collect(3),
            play(INVALID),
            FLUSH,
            play(EXIT),
            play(MAX_RETRIES),
        ],
        "continue:max_retries",
    ),
    "silence without a timeout child: no invalid media, then max_retries": (
        {},
        {"1": ONE, "max_retries": MAX_RETRIES},
        [],
        [("answer", ""), collect(1), collect(2), FLUSH, play(EXIT), play(MAX_RETRIES)],
        "continue:max_retries",
    ),
    "tries run out without max_retries: the transfer media, then _": (
        {},
        {"1": ONE, "_": WILDCARD},
        [],
        [("answer", ""), collect(1), collect(2), FLUSH, play(EXIT), play(TRANSFER), play(WILDCARD)],
        "continue:_",
    ),
    "tries run out with neither max_retries nor _: goodbye and the call ends": (
        {},
        {"1": ONE},
        [],
        [("answer", ""), collect(1), collect(2), FLUSH, play(EXIT), play(SYSTEM_EXIT)],
        "continue:_",
    ),
    "suppress_media and media turned off: nothing plays on the way": (
        {
            "suppress_media": True,
            "media": {"greeting": GREETING, "exit_media": False, "transfer_media": False},
        },
        {"1": ONE, "_": WILDCARD},
        PRESS_9_TWICE[:1] + [s.on_playback(2).press("9")],
        [("answer", ""), collect(1), collect(2), FLUSH, play(WILDCARD)],
        "continue:_",
    ),
    "media left to Kazoo's system prompts": (
        {"media": {"greeting": GREETING}},
        {"1": ONE, "max_retries": MAX_RETRIES},
        PRESS_9_TWICE,
        [
            ("answer", ""),
            collect(1),
            play(SYSTEM_INVALID),
            collect(3),
            play(SYSTEM_INVALID),
            FLUSH,
            play(SYSTEM_EXIT),
            play(MAX_RETRIES),
        ],
        "continue:max_retries",
    ),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_given_a_menu_when_the_caller_acts_then_the_menu_takes_kazoos_branch(
    scenario, stack_factory, account
):
    overrides, children, caller, expected, outcome = SCENARIOS[scenario]
    account.callflow(["5000"], menu_node(save_menu(account, **overrides), children))
    stack = stack_factory()

    call = stack.emulator.place_call("5000", variables=account.variables, script=caller)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert call.applications == expected
    assert menu_outcome(account.wait_cdr(call.uuid)) == outcome


HUNT = {"hunt": True, "hunt_deny": "^20[5-9]", "retries": 1}


@pytest.mark.parametrize(
    ("menu", "dialed", "reached"),
    [
        (HUNT, "2001", True),
        (HUNT, "2050", False),  # hunt_deny matches
        ({**HUNT, "hunt_allow": "^3"}, "2001", False),  # hunt_allow does not
        ({**HUNT, "hunt": False}, "2001", False),
        (HUNT, "2999", False),  # no callflow has that number
    ],
)
def test_given_a_hunting_menu_when_the_caller_dials_an_extension_then_the_call_branches_there_if_allowed(  # noqa: E501
    menu, dialed, reached, stack_factory, account
):
    menu_id = save_menu(account, **menu)
    account.callflow(["5000"], menu_node(menu_id, {"1": ONE, "max_retries": MAX_RETRIES}))
    extensions = {
        n: account.callflow([n], node("play", {"id": EXTENSION})) for n in ("2001", "2050")
    }
    stack = stack_factory()

    call = stack.emulator.place_call(
        "5000", variables=account.variables, script=[s.on_playback(1).press(dialed)]
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    cdr = account.wait_cdr(call.uuid)
    if reached:
        assert call.applications == [
            ("answer", ""),
            collect(1),
            FLUSH,
            play(TRANSFER),
            play(EXTENSION),
        ]
        assert menu_outcome(cdr) == f"branch:{extensions[dialed]}"
    else:
        assert call.applications == [
            ("answer", ""),
            collect(1),
            play(INVALID),
            FLUSH,
            play(EXIT),
            play(MAX_RETRIES),
        ]
        assert menu_outcome(cdr) == "continue:max_retries"


def test_given_a_hunting_menu_when_the_digits_match_a_pattern_then_the_branched_flow_gets_its_captures(  # noqa: E501
    stack_factory, account, test_modules
):
    account.callflow(["5000"], menu_node(save_menu(account, **HUNT), {"1": ONE}))
    flow = node("capture_probe", {}, _=node("play", {"id": EXTENSION}))
    flow_id = account.callflows.create(
        account.id, {"name": "star seven", "patterns": [r"^\*7(?P<ext>\d+)$"], "flow": flow}
    )["_id"]
    stack = stack_factory(python_path=test_modules)

    call = stack.emulator.place_call(
        "5000", variables=account.variables, script=[s.on_playback(1).press("*712")]
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert call.applications[-1] == play(EXTENSION)
    cdr = account.wait_cdr(call.uuid)
    assert menu_outcome(cdr) == f"branch:{flow_id}"
    ccvs = cdr["custom_channel_vars"]
    assert (ccvs["captured"], ccvs["captured_ext"]) == ("12", "12")


LONG_GREETING = "tone_stream://%(3000000,0,500)"
"""Fifty minutes of the switch's clock: a minute at the test emulator's speed."""


def test_given_a_menu_whose_worker_is_killed_during_the_greeting_and_the_menu_edited_when_the_caller_presses_then_another_worker_carries_on_with_the_menu_as_read(  # noqa: E501
    stack_factory, account
):
    menus = DocumentService(account.store, MENUS)
    menu_id = save_menu(account, media={"greeting": LONG_GREETING, "invalid_media": INVALID})
    account.callflow(["5000"], menu_node(menu_id, ALL_CHILDREN))
    stack = stack_factory()
    first = stack.workers[0]
    call = stack.emulator.place_call("5000", variables=account.variables)
    call.wait_for_command(COLLECT, timeout=30)
    stack.add_worker()
    wait_for_workers(stack.settings, 2)
    first.kill()
    menus.patch(account.id, menu_id, {"max_extension_length": 1, "media": {"greeting": GREETING}})

    call.press("1")

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert call.applications == [("answer", ""), collect(1, LONG_GREETING), play(ONE)]
    cdr = account.wait_cdr(call.uuid)
    assert menu_outcome(cdr) == "continue:1"
    assert not [t for t in cdr["trace"] if "crashed" in t.get("note", "")]


def test_given_a_menu_when_the_caller_hangs_up_during_the_greeting_then_the_flow_stops(
    stack_factory, account
):
    account.callflow(["5000"], menu_node(save_menu(account), ALL_CHILDREN))
    stack = stack_factory()

    call = stack.emulator.place_call(
        "5000", variables=account.variables, script=[s.on_playback(1).hangup()]
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert call.applications == [("answer", ""), collect(1)]
    assert menu_outcome(account.wait_cdr(call.uuid)) == "stop"


def test_given_a_menu_id_that_names_no_document_then_kazoos_defaults_run_it(stack_factory, account):
    account.callflow(["5000"], menu_node("no-such-menu", {"timeout": TIMEOUT}))
    stack = stack_factory()

    call = stack.emulator.place_call("5000", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    # no greeting; 10 s for a first digit, 2 s between digits (Kazoo's defaults)
    assert call.applications == [
        ("answer", ""),
        collect(1, prompt="silence", timeout=10000, interdigit=2000),
        play(TIMEOUT),
    ]
    notes = [t["note"] for t in account.wait_cdr(call.uuid)["trace"] if t["step"] == "note"]
    assert notes[0] == "ReadDocument: error"


def test_given_a_greeting_that_names_no_media_then_the_menu_collects_without_it(
    stack_factory, account
):
    menu_id = save_menu(account, media={"greeting": "no-such-media", "invalid_media": INVALID})
    account.callflow(["5000"], menu_node(menu_id, ALL_CHILDREN))
    stack = stack_factory()

    call = stack.emulator.place_call(
        "5000", variables=account.variables, script=[s.on_app(COLLECT).wait(0.5).press("1")]
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert call.applications == [("answer", ""), collect(1, prompt="silence"), play(ONE)]
    cdr = account.wait_cdr(call.uuid)
    notes = [t["note"] for t in cdr["trace"] if t["step"] == "note"]
    assert "media not found: no-such-media" in notes
    assert menu_outcome(cdr) == "continue:1"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"id": ""}, "id"),
        ({"id": "m1", "interdigit_timeout": "soon"}, "interdigit_timeout"),
        ({"id": "m1", "interdigit_timeout": 0}, "interdigit_timeout"),
    ],
)
def test_given_bad_menu_data_when_the_callflow_is_saved_then_it_is_refused_with_the_field(
    account, data, field
):
    assert_refused(account, "5001", node("menu", data), field)


def test_given_kazoos_loose_types_when_a_menu_node_is_saved_then_they_are_accepted(account):
    data = {"id": "m1", "interdigit_timeout": "1500", "skip_module": "false"}

    saved = account.callflows.read(account.id, account.callflow(["5002"], node("menu", data)))

    assert saved["flow"]["data"]["interdigit_timeout"] == 1500
