"""An IVR menu (Kazoo's ``menus`` schema)."""

from __future__ import annotations

from schemas.base import (
    DocumentSchema,
    SubSchema,
    any_value,
    boolean,
    integer,
    nested,
    string,
    string_list,
)


class MenuMedia(SubSchema):
    greeting = string("Media played when the menu starts", min_length=3, max_length=2048)
    exit_media = any_value("Media played when leaving (or false)")
    invalid_media = any_value("Media played on a wrong entry (or false)")
    transfer_media = any_value("Media played when transferring (or false)")


class MenuSchema(DocumentSchema):
    pvt_type = "menu"

    name = string("A friendly name for the menu", required=True, min_length=1, max_length=128)
    allow_record_from_offnet = boolean("Allow recording the greeting from outside", default=False)
    hunt = boolean("Allow dialing an extension directly", default=True)
    hunt_allow = string("Regex of extensions that may be dialed", min_length=1, max_length=256)
    hunt_deny = string("Regex of extensions that may not be dialed", min_length=1, max_length=256)
    interdigit_timeout = integer("Milliseconds between digits", minimum=1, maximum=10000)
    max_extension_length = integer("Longest extension", minimum=1, maximum=6, default=4)
    media = nested(MenuMedia, "Menu media", default={})
    record_pin = string("PIN to record the greeting", min_length=3, max_length=6)
    retries = integer("Attempts before leaving", minimum=1, maximum=10, default=3)
    suppress_media = boolean("Play no prompts on errors", default=False)
    timeout = integer("Milliseconds to wait for a digit", minimum=1, maximum=60000)
    flags = string_list("Flags set by external applications")
