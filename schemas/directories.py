"""A directory: the users a caller finds by name (Kazoo's ``directories`` schema)."""

from __future__ import annotations

from schemas.base import DocumentSchema, boolean, integer, string, string_list


class DirectorySchema(DocumentSchema):
    pvt_type = "directory"

    name = string("The name of the directory", required=True, min_length=1)
    confirm_match = boolean("Ask the caller to confirm a single match", default=True)
    flags = string_list("Flags set by external applications")
    max_dtmf = integer("Most DTMF collected from a caller, 0 for unlimited", minimum=0, default=0)
    min_dtmf = integer("DTMF collected before the directory is searched", minimum=1, default=3)
    search_fields = string(
        "What user fields DTMF matches on", enum=("first_name", "last_name", "both")
    )
    sort_by = string(
        "Field the matches are sorted on", enum=("first_name", "last_name"), default="last_name"
    )
    users = string_list("Ids of users listed in the directory", default=[])
