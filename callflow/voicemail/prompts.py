"""The system prompts of the voicemail module, by Kazoo's prompt names (``vm-enter_pass``...).

Kazoo plays its own recordings of these from its system media database. kazoo-tasks
plays the voicemail phrases every FreeSWITCH ships (``lang/<lang>/vm/sounds.xml``:
``phrase:voicemail_enter_pass``...), so a stock switch speaks them with no media to
install. Where FreeSWITCH has no phrase for a Kazoo prompt, the nearest one stands in.
"""

from __future__ import annotations

PROMPTS: dict[str, str] = {
    "vm-enter_id": "phrase:voicemail_enter_id:#",
    "vm-enter_pass": "phrase:voicemail_enter_pass:#",
    "vm-fail_auth": "phrase:voicemail_fail_auth",
    "vm-abort": "phrase:voicemail_abort",
    "vm-no_access": "phrase:voicemail_fail_auth",
    "vm-goodbye": "phrase:voicemail_goodbye",
    "vm-not_available_no_voicemail": "phrase:voicemail_unavailable",
    "vm-mailbox_full": "phrase:voicemail_disk_quota_exceeded",
    "vm-record_message": "phrase:voicemail_record_message",
    "vm-review_recording": "phrase:voicemail_record_file_check:1:2:3",
    "vm-saved": "phrase:voicemail_ack:saved",
    "vm-deleted": "phrase:voicemail_ack:deleted",
    "vm-thank_you": "phrase:voicemail_goodbye",
    "vm-main_menu": "phrase:voicemail_menu:1:2:5:#",
    "vm-main_menu_not_configurable": "phrase:voicemail_menu:1:2:0:#",
    "vm-message_menu": "phrase:voicemail_listen_file_check:1:2:7:0",
    "vm-no_more_messages": "phrase:voicemail_no_more_messages",
    "vm-settings_menu": "phrase:voicemail_config_menu:1:2:3:0",
    "vm-record_greeting": "phrase:voicemail_record_greeting",
    "vm-record_name": "phrase:voicemail_record_name",
    "vm-enter_new_pin": "phrase:voicemail_enter_pass:#",
    "vm-enter_new_pin_confirm": "phrase:voicemail_enter_pass:#",
    "vm-pin_set": "phrase:voicemail_change_pass_success",
    "vm-pin_invalid": "phrase:voicemail_change_pass_fail",
    "menu-invalid_entry": "phrase:voicemail_invalid_extension",
}

BEEP = "tone_stream://%(500,100,440)"
"""The tone before a recording (Kazoo: 440 Hz, 500 ms on, 100 ms off)."""


def prompt(name: str) -> str:
    """What the switch plays for prompt ``name``."""
    return PROMPTS[name]


def person_not_available(mailbox: str) -> str:
    """The system greeting of a box without one: "the person at <number> is not
    available" (Kazoo's vm-person, the number, vm-not_available)."""
    digits = "".join(c for c in mailbox if c.isdigit())
    return f"phrase:voicemail_play_greeting:{digits}" if digits else "phrase:voicemail_unavailable"


def message_count(count: int, folder: str) -> str:
    """ "You have <count> <folder> messages"."""
    return f"phrase:voicemail_message_count:{count}:{folder}"


def message_number(number: int) -> str:
    """ "Message <number>"."""
    return f"phrase:voicemail_say_message_number:new:{number}"
