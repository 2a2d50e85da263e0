"""Match lists (Kazoo's ``lists`` schema) and their entries (``list_entries``): numbers,
number prefixes and patterns with a name, read by the ``cidlistmatch``,
``lookupcidname`` and ``dynamic_cid`` callflow modules."""

from __future__ import annotations

from schemas.base import DocumentSchema, integer, obj, string


class ListSchema(DocumentSchema):
    pvt_type = "list"

    name = string("A friendly match list name", required=True, min_length=1, max_length=128)
    description = string("A friendly list description", min_length=1, max_length=128)
    org = string("Full legal name of the organization")


class ListEntrySchema(DocumentSchema):
    pvt_type = "list_entry"

    list_id = string("The list (set from the URL)", required=True, min_length=1)
    number = string("A phone number, or the first digits of numbers (a prefix)")
    pattern = string("A regex matched against the caller id number")
    displayname = string("Display name", min_length=1, max_length=128)
    firstname = string("A friendly first name", min_length=1, max_length=128)
    lastname = string("A friendly last name", min_length=1, max_length=128)
    capture_group_key = string("The digits that select this entry (dynamic_cid)")
    capture_group_length = integer("How many digits select an entry (dynamic_cid)")
    profile = obj("Profile data", default={})
    type = string("The entry's type", min_length=1, max_length=128)
