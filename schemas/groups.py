"""A group of endpoints (Kazoo's ``groups`` schema), rung by ring groups."""

from __future__ import annotations

from schemas.base import DocumentSchema, MusicOnHold, nested, obj, string, string_list


class GroupSchema(DocumentSchema):
    pvt_type = "group"

    name = string("A friendly name for the group", required=True, min_length=1, max_length=128)
    endpoints = obj("Members: endpoint id -> {type: user|device, ...}", default={})
    music_on_hold = nested(MusicOnHold, "Music on hold", default={})
    flags = string_list("Flags set by external applications")
