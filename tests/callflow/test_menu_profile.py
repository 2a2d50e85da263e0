"""What a menus document means to the menu module (callflow.modules.menu.MenuProfile):
Kazoo's defaults, loose JSON types, media turned off or left to the system prompts, and
hunt_allow / hunt_deny as cf_menu reads them (an invalid regex refuses in hunt_allow and
does not deny in hunt_deny)."""

from __future__ import annotations

import pytest

from callflow.modules.menu import MenuProfile
from callflow.prompts import prompt

SYSTEM_INVALID = "ivr/ivr-that_was_an_invalid_entry.wav"


def test_given_no_document_then_kazoos_defaults_apply():
    menu = MenuProfile.of(None, {})
    assert (menu.retries, menu.timeout, menu.interdigit_timeout, menu.max_length) == (
        3,
        10_000,
        2000,
        4,
    )
    assert menu.greeting is None and menu.hunt is False
    assert menu.invalid_media == prompt("menu-invalid_entry") == SYSTEM_INVALID
    assert menu.exit_media == prompt("menu-exit")
    assert menu.transfer_media == prompt("menu-transferring_call")


def test_given_loose_types_then_they_read_as_kazoo_reads_them():
    doc = {"retries": "5", "timeout": "8000", "max_extension_length": "2", "hunt": "true"}
    menu = MenuProfile.of(doc, {})
    assert (menu.retries, menu.timeout, menu.max_length, menu.hunt) == (5, 8000, 2, True)


def test_given_the_interdigit_timeout_then_the_menu_wins_over_the_node():
    assert (
        MenuProfile.of({"interdigit_timeout": 1500}, {"interdigit_timeout": 900}).interdigit_timeout
        == 1500
    )
    assert MenuProfile.of({}, {"interdigit_timeout": 900}).interdigit_timeout == 900


@pytest.mark.parametrize(
    ("value", "expected"),
    [(False, None), ("false", None), (True, SYSTEM_INVALID), ("", SYSTEM_INVALID), ("m1", "m1")],
)
def test_given_invalid_media_values_then_false_is_nothing_true_is_the_system_prompt(
    value, expected
):
    assert MenuProfile.of({"media": {"invalid_media": value}}, {}).invalid_media == expected


def test_given_suppress_media_then_no_invalid_media_plays():
    doc = {"suppress_media": True, "media": {"invalid_media": "m1", "exit_media": "m2"}}
    menu = MenuProfile.of(doc, {})
    assert (menu.invalid_media, menu.exit_media) == (None, "m2")


@pytest.mark.parametrize(
    ("allow", "deny", "digits", "may"),
    [
        ("", "", "2001", True),
        ("^2", "", "2001", True),
        ("^3", "", "2001", False),
        ("", "^20", "2001", False),
        ("0", "", "2001", True),  # searched anywhere, as re:run does
        ("([", "", "2001", False),  # an invalid allow refuses
        ("", "([", "2001", True),  # an invalid deny does not deny
    ],
)
def test_given_hunt_allow_and_deny_then_digits_may_hunt_as_cf_menu_decides(
    allow, deny, digits, may
):
    menu = MenuProfile.of({"hunt": True, "hunt_allow": allow, "hunt_deny": deny}, {})
    assert menu.may_hunt(digits) is may


def test_given_hunt_off_then_nothing_hunts():
    assert MenuProfile.of({"hunt": False}, {}).may_hunt("2001") is False
