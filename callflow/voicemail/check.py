"""Checking a box (Kazoo's cf_voicemail check), with Kazoo's keys.

**Login.** A box the node does not name is asked for by number ("enter your mailbox").
The box's owner calling from their own phone gets in without a PIN unless the box has
``require_pin``; anyone else enters the PIN (``vm-enter_pass``), three tries
(:data:`~callflow.voicemail.mailbox.MAX_LOGIN_ATTEMPTS`), then "goodbye". A box without
a PIN lets no one but its owner in. An owner whose box is not set up (``is_setup``)
goes through the setup first: a new PIN, the unavailable greeting.

**Main menu**, after "you have N new / N saved messages": ``1`` new messages, ``2`` saved
messages, ``5`` settings (not with ``not_configurable``), ``#`` leave. Four invalid or
missing choices end it.

**Each message**: its number, the message, then: ``1`` save, ``2`` replay, ``7`` delete,
``4`` previous, ``6`` next, ``0`` save and back to the main menu (a key during the message
counts as the choice).

**Settings**: ``1`` record the unavailable greeting, ``2`` record the name, ``3`` change
the PIN, ``4`` record a temporary greeting, ``5`` delete the temporary greeting, ``0`` back.
A recording is reviewed (1 save, 2 listen, 3 record again) and only a saved one replaces
what the box had.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callflow.context import NodeContext
from callflow.outcomes import Continue
from callflow.recording_steps import ANY_KEY
from callflow.steps import Play
from callflow.voicemail import mailbox, prompts
from callflow.voicemail.dialog import Dialog, Recordings, ask, play, play_all, review, run
from callflow.voicemail.messages import FOLDER_DELETED, FOLDER_NEW, FOLDER_SAVED, extension_of
from callflow.voicemail.steps import (
    Discard,
    ListMessages,
    LoadBox,
    PlayMessage,
    RecordGreeting,
    SetFolder,
    UpdateBox,
)

MAX_BOX_NUMBER_LENGTH = 15
MAX_PIN_LENGTH = 6
MIN_PIN_LENGTH = 4
MENU_TRIES = 4
MESSAGE_MENU_TRIES = 3
GREETING_MAX_SECONDS = 300


def _is_owner(ctx: NodeContext, box: Mapping[str, Any]) -> bool:
    return bool(box.get("owner_id")) and ctx.call["ccvs"].get("Owner-ID") == box["owner_id"]


def check(ctx: NodeContext, box: dict[str, Any], options: Mapping[str, Any]) -> Dialog:
    """The steps of checking ``box`` (its facts; ``exists`` False: ask which one)."""
    box = yield from login(ctx, box, options)
    if box is None:
        return Continue()
    names = Recordings(ctx, "greeting")
    if _is_owner(ctx, box) and not box["is_setup"]:
        if not (yield from setup(box, names, options)):
            yield from play(prompts.prompt("vm-goodbye"))
            return Continue()
    yield from main_menu(box, names, options)
    return Continue()


def login(ctx: NodeContext, box: dict[str, Any], options: Mapping[str, Any]) -> Dialog:
    """The box the caller may open, or None (after telling them why)."""
    interdigit = options["interdigit_ms"]
    attempt = 1
    while attempt <= mailbox.MAX_LOGIN_ATTEMPTS:
        if not box["exists"]:
            number = yield from ask(
                prompts.prompt("vm-enter_id"),
                max_digits=MAX_BOX_NUMBER_LENGTH,
                interdigit_ms=interdigit,
            )
            found = (yield from run(LoadBox(number=number))).details if number else {}
            if not found.get("exists"):
                yield from play(prompts.prompt("menu-invalid_entry"))
                attempt += 1
                continue
            box = found
        owner = _is_owner(ctx, box)
        if owner and (not box["is_setup"] or not box["require_pin"]):
            return box
        if not box["pin"]:
            yield from play(prompts.prompt("vm-no_access"))
            return None
        pin = yield from ask(
            prompts.prompt("vm-enter_pass"),
            max_digits=MAX_PIN_LENGTH,
            interdigit_ms=interdigit,
            secret=True,
        )
        if pin == box["pin"]:
            return box
        yield from play(prompts.prompt("vm-fail_auth"))
        attempt += 1
    yield from play(prompts.prompt("vm-abort"))
    return None


def main_menu(box: dict[str, Any], names: Recordings, options: Mapping[str, Any]) -> Dialog:
    """The main menu, until the caller leaves or stops choosing."""
    interdigit = options["interdigit_ms"]
    tries = 0
    while tries < MENU_TRIES:
        counts = (yield from run(LoadBox(box_id=box["id"]))).details
        heard = yield from play_all(_count_prompts(counts["new_count"], counts["saved_count"]))
        menu = "vm-main_menu_not_configurable" if box["not_configurable"] else "vm-main_menu"
        key = heard or (yield from ask(prompts.prompt(menu), interdigit_ms=interdigit))
        if key == "#":
            return
        if key in ("1", "2"):
            folder = FOLDER_NEW if key == "1" else FOLDER_SAVED
            yield from play_messages(box, folder, options)
            tries = 0
        elif key == "5" and not box["not_configurable"]:
            box = yield from settings(box, names, options)
            tries = 0
        else:
            tries += 1
    yield from play(prompts.prompt("vm-goodbye"))


def _count_prompts(new: int, saved: int) -> list[str]:
    return [prompts.message_count(new, "new"), prompts.message_count(saved, "saved")]


def play_messages(box: Mapping[str, Any], folder: str, options: Mapping[str, Any]) -> Dialog:
    """Play the messages of ``folder`` one by one with the message menu."""
    listed = yield from run(ListMessages(box["id"], folder, box["oldest_message_first"]))
    ids: list[str] = listed.details["messages"]
    index = 0
    while index < len(ids):
        message = ids[index]
        key = yield from play_all([prompts.message_number(index + 1)])
        if not key:
            key = (yield from run(PlayMessage(message, terminators=ANY_KEY))).digits
        choice = yield from _message_choice(key, options)
        if choice in ("1", "0"):
            yield SetFolder(message, FOLDER_SAVED)
            yield from play(prompts.prompt("vm-saved"))
            if choice == "0":
                return
            index += 1
        elif choice == "7":
            yield SetFolder(message, FOLDER_DELETED)
            yield from play(prompts.prompt("vm-deleted"))
            index += 1
        elif choice == "4":
            index = max(index - 1, 0)
        elif choice == "6":
            index = min(index + 1, len(ids) - 1)
        elif choice != "2":
            return  # no choice: back to the main menu


def _message_choice(key: str, options: Mapping[str, Any]) -> Dialog:
    """The caller's choice after a message (``key``: one pressed during it)."""
    for _ in range(MESSAGE_MENU_TRIES):
        if key in ("0", "1", "2", "4", "6", "7"):
            return key
        if key:
            yield from play(prompts.prompt("menu-invalid_entry"))
        key = yield from ask(
            prompts.prompt("vm-message_menu"), interdigit_ms=options["interdigit_ms"]
        )
    return ""


def settings(box: dict[str, Any], names: Recordings, options: Mapping[str, Any]) -> Dialog:
    """The settings menu; returns the box as it now is."""
    for _ in range(MENU_TRIES - 1):
        key = yield from ask(
            prompts.prompt("vm-settings_menu"), interdigit_ms=options["interdigit_ms"]
        )
        if key == "0":
            break
        if key in ("1", "4"):
            slot = "unavailable" if key == "1" else "temporary_unavailable"
            saved = yield from record_greeting(box, slot, names, options)
            if saved:
                box = {**box, slot: saved}
        elif key == "2":
            yield from record_greeting(box, "name", names, options)
        elif key == "3":
            yield from change_pin(box, options)
        elif key == "5" and box["temporary_unavailable"]:
            yield UpdateBox(box["id"], "media", {"temporary_unavailable": None})
            yield from play(prompts.prompt("vm-saved"))
            box = {**box, "temporary_unavailable": None}
    return box


WHAT = {
    "unavailable": ("unavailable greeting", "vm-record_greeting"),
    "temporary_unavailable": ("temporary unavailable greeting", "vm-record_greeting"),
    "name": ("users name", "vm-record_name"),
}


def record_greeting(
    box: Mapping[str, Any], slot: str, names: Recordings, options: Mapping[str, Any]
) -> Dialog:
    """Record a greeting (or the name) into a new media document and, once the caller
    saves it, make it the box's ``slot`` (the name: its owner's, as Kazoo). Returns the
    media id saved, or None."""
    what, prompt = WHAT[slot]
    while True:
        yield from play_all([prompts.prompt(prompt)])
        yield from play(prompts.BEEP)
        media_id = names.next_id()
        yield from run(
            RecordGreeting(
                media_id,
                max_length=GREETING_MAX_SECONDS,
                extension=extension_of(box["media_extension"]),
                box_id=box["id"],
                box_number=box["mailbox"],
                owner_id=box["owner_id"],
                what=what,
            )
        )
        choice = yield from review(Play(media_id), options["interdigit_ms"])
        if choice == "save":
            owner_name = slot == "name" and box["owner_id"]
            target = box["owner_id"] if owner_name else box["id"]
            yield UpdateBox(target, "media", {slot: media_id}, keep=media_id)
            yield from play(prompts.prompt("vm-saved"))
            return media_id
        yield Discard(media_id, "not_saved")
        if choice != "record":
            yield from play(prompts.prompt("vm-deleted"))
            return None


def change_pin(box: Mapping[str, Any], options: Mapping[str, Any]) -> Dialog:
    """A new PIN, entered twice (three tries); returns whether it changed."""
    interdigit = options["interdigit_ms"]
    for _ in range(3):
        first = yield from ask(
            prompts.prompt("vm-enter_new_pin"),
            max_digits=MAX_PIN_LENGTH,
            interdigit_ms=interdigit,
            secret=True,
        )
        again = yield from ask(
            prompts.prompt("vm-enter_new_pin_confirm"),
            max_digits=MAX_PIN_LENGTH,
            interdigit_ms=interdigit,
            secret=True,
        )
        if first == again and first.isdigit() and len(first) >= MIN_PIN_LENGTH:
            yield UpdateBox(box["id"], "pin", first)
            yield from play(prompts.prompt("vm-pin_set"))
            return True
        yield from play(prompts.prompt("vm-pin_invalid"))
    return False


def setup(box: dict[str, Any], names: Recordings, options: Mapping[str, Any]) -> Dialog:
    """First use by the owner: a PIN, the unavailable greeting, then the box is set up."""
    if not (yield from change_pin(box, options)):
        return False
    yield from record_greeting(box, "unavailable", names, options)
    yield UpdateBox(box["id"], "is_setup", True)
    return True
