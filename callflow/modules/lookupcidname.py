"""``lookupcidname``: name the caller from match lists (Kazoo's cf_lookupcidname).

The caller id number is looked up in the entries of the ``lists``, in order
(:mod:`callflow.match_lists`: a ``number`` prefix in any list first, else a ``pattern``);
the entry found gives the caller id name (its ``displayname``, else ``name``...), which
the phones rung later and the CDR show. Then ``_``, found or not.
"""

from __future__ import annotations

from marshmallow import fields

from callflow.context import NodeContext
from callflow.match_lists import entries_of, entry_name, first_match
from callflow.module import CallflowModule, ModuleData
from callflow.modules.fields import document_id
from callflow.outcomes import Continue, Outcome


class LookupCidNameSchema(ModuleData):
    """Kazoo's callflows.lookupcidname data."""

    lists = fields.List(document_id("a match list"), required=True)


class LookupCidName(CallflowModule):
    """Sets the caller id name from the first entry the number matches, then ``_``."""

    data_schema = LookupCidNameSchema

    def start(self, ctx: NodeContext) -> Outcome:
        number = str(ctx.call.get("caller_id_number") or "")
        account_id = str(ctx.call["account_id"])
        lists = [entries_of(ctx.documents(), account_id, list_id) for list_id in ctx.data["lists"]]
        entry = first_match(lists, number) if number else None
        name = entry_name(entry) if entry is not None else ""
        if not name:
            ctx.note(f"{number or 'no caller id'}: no name in the lists")
            return Continue()
        ctx.note(f"{number}: caller id name {name!r} (entry {entry['_id']})")
        ctx.set_caller_id(name, number)
        return Continue()
