"""A conference room (Kazoo's ``conferences`` schema)."""

from __future__ import annotations

from marshmallow import Schema, fields

from schemas.base import (
    DocumentSchema,
    SubSchema,
    any_value,
    boolean,
    doc_id,
    integer,
    nested,
    obj,
    string,
    string_list,
)
from schemas.rules import OneOf, Regexp


def _digits(description: str) -> fields.List:
    return string_list(description, item=fields.String(validate=[Regexp(r"^[0-9]+$")]), default=[])


class Participant(SubSchema):
    join_deaf = boolean("Join unable to hear", default=False)
    join_muted = boolean("Join muted")
    numbers = _digits("Numbers that join as this kind of participant")
    pins = _digits("PINs that join as this kind of participant")
    play_entry_prompt = boolean("Play the entry prompt")


class ConferenceSchema(DocumentSchema):
    pvt_type = "conference"

    name = string("A friendly name for the conference", min_length=1, max_length=128)
    owner_id = doc_id("The user that owns the conference")
    conference_numbers = _digits("Numbers that reach the conference")
    member = nested(Participant, "Member settings", default={})
    moderator = nested(Participant, "Moderator settings", default={})
    max_participants = integer("Most participants at once")
    play_name = boolean("Ask and play participants' names", default=False)
    play_welcome = boolean("Play the welcome prompt")
    play_entry_tone = any_value("Tone on entry (boolean or tone)")
    play_exit_tone = any_value("Tone on exit (boolean or tone)")
    require_moderator = boolean("Wait for a moderator to start")
    wait_for_moderator = boolean("Members wait for a moderator")
    caller_controls = string("Controls profile of members")
    moderator_controls = string("Controls profile of moderators")
    controls = obj("Controls")
    profile = obj("Conference profile")
    profile_name = string("Conference profile name")
    language = string("Language of prompts")
    domain = string("Domain")
    focus = string("Focus")
    bridge_password = string("Password of the conference bridge")
    bridge_username = string("Username of the conference bridge")
    max_members_media = string("Media played when the room is full")
    flags = string_list("Flags set by external applications")


ROOM_ACTIONS = ("mute", "unmute", "deaf", "undeaf", "kick", "play", "lock", "unlock")
"""Actions of ``PUT conferences/{id}``: Kazoo's ``play``, ``lock``, ``unlock``, and the
participants' actions applied to everyone."""
PARTICIPANTS_ACTIONS = ("mute", "unmute", "deaf", "undeaf", "kick")
"""Actions of ``PUT conferences/{id}/participants`` (everyone in the room)."""
PARTICIPANT_ACTIONS = ("mute", "unmute", "deaf", "undeaf", "kick", "play")
"""Actions of ``PUT conferences/{id}/participants/{participant_id}``."""


class PlayData(SubSchema):
    media_id = string("Media to play: a media id of the account or a URL", min_length=1)
    data = obj('Kazoo\'s nested form: {"media_id": ...}')


def _action_schema(name: str, actions: tuple[str, ...]) -> type[Schema]:
    return Schema.from_dict(
        {
            "action": fields.String(
                required=True,
                validate=[OneOf(actions)],
                metadata={"description": f"One of {', '.join(actions)}"},
            ),
            "data": fields.Nested(PlayData, load_default=dict),
        },
        name=name,
    )


RoomAction = _action_schema("ConferenceRoomAction", ROOM_ACTIONS)
ParticipantsAction = _action_schema("ConferenceParticipantsAction", PARTICIPANTS_ACTIONS)
ParticipantAction = _action_schema("ConferenceParticipantAction", PARTICIPANT_ACTIONS)
