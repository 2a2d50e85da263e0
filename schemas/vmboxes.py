"""A voicemail box (Kazoo's ``vmboxes`` schema)."""

from __future__ import annotations

from schemas.base import (
    DocumentSchema,
    SubSchema,
    boolean,
    doc_id,
    integer,
    nested,
    obj,
    one_of,
    string,
    string_list,
)


class VmboxMedia(SubSchema):
    unavailable = doc_id("Media played when the owner is unavailable")


class VmboxSchema(DocumentSchema):
    pvt_type = "vmbox"

    name = string("A friendly name for the box", required=True, min_length=1, max_length=128)
    mailbox = string("The box number callers dial", required=True, min_length=1, max_length=30)
    owner_id = doc_id("The user that owns the box")
    pin = string("PIN to reach the box", min_length=4, max_length=6)
    require_pin = boolean("Ask the PIN even from the owner's devices", default=False)
    check_if_owner = boolean("Skip the PIN from the owner's devices", default=True)
    announcement_only = boolean("Play the greeting, take no message", default=False)
    delete_after_notify = boolean("Delete messages once emailed", default=False)
    save_after_notify = boolean("Mark messages saved once emailed", default=False)
    include_message_on_notify = boolean("Attach the message to emails", default=True)
    include_transcription_on_notify = boolean("Put transcriptions in emails", default=True)
    is_setup = boolean("Whether the owner went through the setup", default=False)
    is_voicemail_ff_rw_enabled = boolean("Allow seeking in messages", default=False)
    seek_duration_ms = integer("Seek step in milliseconds", minimum=0, default=10000)
    media = nested(VmboxMedia, "Media of the box", default={})
    media_extension = string("Recording format", enum=("mp3", "mp4", "wav"), default="mp3")
    not_configurable = boolean("Owner may not change settings", default=False)
    notify = obj("Notification callbacks")
    notify_email_addresses = string_list("Extra addresses emailed on new messages", default=[])
    oldest_message_first = boolean("Play the oldest message first", default=False)
    operator_number = one_of(
        "Number dialed when the caller presses 0 (a string or an integer)", string(), integer()
    )
    skip_envelope = boolean("Skip the message envelope", default=False)
    skip_greeting = boolean("Skip the greeting", default=False)
    skip_instructions = boolean("Skip the instructions", default=False)
    timezone = string("Timezone of the box", min_length=5, max_length=32)
    transcribe = boolean("Transcribe messages", default=False)
    flags = string_list("Flags set by external applications")


class VmboxMessageChange(SubSchema):
    """What a client changes about a message (Kazoo's "change a message"): its folder,
    and ``source_id``: a box id moves it there, a list of box ids copies it to each."""

    folder = string("Folder of the message", enum=("new", "saved", "deleted"))
    source_id = one_of(
        "Box to move the message to, or boxes to copy it to",
        doc_id(),
        string_list(item=doc_id()),
    )


class VmboxMessagesChange(VmboxMessageChange):
    """A change of several messages of a box at once (Kazoo's "change a list of
    messages"), or a removal of several (``folder`` then picks which)."""

    messages = string_list("Ids of the messages (every message of the box when absent)")
