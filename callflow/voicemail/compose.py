"""Leaving a message (Kazoo's cf_voicemail compose): the box's greeting, the instructions,
a beep, the recording, then the review (1 save, 2 listen, 3 record again).

* no such box: "not available", continue;
* the owner calling (``check_if_owner``), or a key ``*`` during the greeting: checking
  the box instead (:mod:`callflow.voicemail.check`);
* ``announcement_only``: the greeting, no message; a full box: the greeting and "the
  box is full";
* the message is kept when its recording ends, even if the caller hung up during it, if
  it lasts at least :data:`~callflow.voicemail.mailbox.MIN_MESSAGE_MS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callflow.context import NodeContext
from callflow.outcomes import Continue, Stop
from callflow.voicemail import check, mailbox, prompts
from callflow.voicemail.dialog import Dialog, Recordings, play, play_all, review
from callflow.voicemail.messages import extension_of
from callflow.voicemail.steps import Discard, PlayMessage, RecordMessage

LOGIN_KEY = "*"


def greeting(box: Mapping[str, Any]) -> list[str]:
    """What a caller hears before the beep: the box's greeting (its temporary one first)
    or the system's, then the instructions, as the box says."""
    heard = []
    if not box["skip_greeting"]:
        heard.append(mailbox.greeting_of(box) or prompts.person_not_available(box["mailbox"]))
    if not box["skip_instructions"]:
        heard.append(prompts.prompt("vm-record_message"))
    return heard


def compose(ctx: NodeContext, box: dict[str, Any], options: Mapping[str, Any]) -> Dialog:
    """The steps of leaving a message in ``box`` (its facts); returns the outcome."""
    if not box["exists"]:
        yield from play(prompts.prompt("vm-not_available_no_voicemail"))
        return Continue()
    owner = box["owner_id"] and ctx.call["ccvs"].get("Owner-ID") == box["owner_id"]
    if owner and (box["check_if_owner"] or box["announcement_only"]):
        return (yield from check.check(ctx, box, options))
    if box["announcement_only"]:
        key = yield from play_all(greeting(box)[:1])
        return (yield from check.check(ctx, box, options)) if key == LOGIN_KEY else Continue()
    if mailbox.is_full(box):
        key = yield from play_all([*greeting(box)[:1], prompts.prompt("vm-mailbox_full")])
        return (yield from check.check(ctx, box, options)) if key == LOGIN_KEY else Continue()
    key = yield from play_all(greeting(box))
    if key == LOGIN_KEY:
        return (yield from check.check(ctx, box, options))
    return (yield from record(ctx, box, options))


def record(ctx: NodeContext, box: dict[str, Any], options: Mapping[str, Any]) -> Dialog:
    """Beep, record, review; a message recorded again replaces the previous one."""
    names = Recordings(ctx, "message")
    max_length = box["max_message_length"] or mailbox.DEFAULT_MAX_MESSAGE_LENGTH
    while True:
        yield from play(prompts.BEEP)
        message_id = names.next_id()
        recorded = yield RecordMessage(
            message_id,
            max_length=max_length,
            extension=extension_of(box["media_extension"]),
            box_id=box["id"],
            box_number=box["mailbox"],
        )
        if recorded.hung_up or recorded.failed:
            return Stop() if recorded.hung_up else Continue()
        if not recorded.details["kept"]:
            return Continue()
        choice = yield from review(PlayMessage(message_id), options["interdigit_ms"])
        if choice != "record":
            break
        yield Discard(message_id, "replaced")
    yield from play(prompts.prompt("vm-saved"))
    yield from play(prompts.prompt("vm-thank_you"))
    return Continue()
