"""Kazoo's system prompts, as the sounds a stock FreeSWITCH plays.

Kazoo plays prompts by name (``menu-invalid_entry``, ``vm-goodbye``...) from its
``system_media`` database. We play the nearest sound of FreeSWITCH's own English set
(``freeswitch-sounds-en-us-callie``), a path relative to the channel's ``sound_prefix``
that :func:`callflow.media.playable` passes through, so a stock switch has them and its
``sound_prefix`` picks the language. A prompt with no match here is played as nothing.
"""

from __future__ import annotations

PROMPTS = {
    "menu-invalid_entry": "ivr/ivr-that_was_an_invalid_entry.wav",
    "menu-exit": "voicemail/vm-goodbye.wav",
    "menu-transferring_call": "ivr/ivr-hold_connect_call.wav",
    "vm-goodbye": "voicemail/vm-goodbye.wav",
    "vm-saved": "voicemail/vm-saved.wav",
    "vm-enter_pin": "voicemail/vm-enter_pass.wav",
    "disa-enter_pin": "ivr/ivr-please_enter_pin_followed_by_pound.wav",
    "disa-invalid_pin": "voicemail/vm-fail_auth.wav",
    "disa-retries_exceeded": "voicemail/vm-goodbye.wav",
    "disa-invalid_extension": "ivr/ivr-that_was_an_invalid_entry.wav",
    "dnd-activated": "ivr/ivr-dnd_activated.wav",
    "dnd-deactivated": "ivr/ivr-dnd_cancelled.wav",
    "cf-now_forwarded_to": "ivr/ivr-call_forwarding_has_been_set.wav",
    "cf-disabled": "ivr/ivr-call_forwarding_has_been_cancelled.wav",
    "cf-enter_number": "ivr/ivr-enter_destination_telephone_number.wav",
    "agent-logged_in": "ivr/ivr-you_are_now_logged_in.wav",
    "agent-logged_out": "ivr/ivr-you_are_now_logged_out.wav",
    "agent-invalid_choice": "ivr/ivr-that_was_an_invalid_entry.wav",
    "conf-welcome": "conference/conf-welcome.wav",
    "conf-enter_conf_pin": "conference/conf-pin.wav",
    "conf-bad_pin": "conference/conf-bad-pin.wav",
    "conf-too_many_attempts": "conference/conf-goodbye.wav",
    "conf-max_participants": "conference/conf-locked.wav",
    "hotdesk-enter_id": "ivr/ivr-please_enter_extension_followed_by_pound.wav",
    "hotdesk-enter_pin": "ivr/ivr-please_enter_pin_followed_by_pound.wav",
    "hotdesk-invalid_entry": "ivr/ivr-that_was_an_invalid_entry.wav",
    "hotdesk-logged_in": "ivr/ivr-you_are_now_logged_in.wav",
    "hotdesk-logged_out": "ivr/ivr-you_are_now_logged_out.wav",
    "camper-queue": "ivr/ivr-thank_you.wav",
    "camper-deny": "ivr/ivr-that_was_an_invalid_entry.wav",
}
"""Kazoo prompt name -> FreeSWITCH sound file."""


def prompt(name: str) -> str | None:
    """What the switch plays for Kazoo's system prompt ``name`` (None: nothing)."""
    return PROMPTS.get(name)
