"""``cidlistmatch``: branch on whether the caller's number is in a match list (Kazoo's
cf_cidlistmatch).

The caller id number is looked up in the entries of list ``id``
(:mod:`callflow.match_lists`: a ``number`` prefix, else a ``pattern``). In the list: the
``match`` child, else ``_``; not in it (or no such list): ``nomatch``, else ``_``.
"""

from __future__ import annotations

from callflow.context import NodeContext
from callflow.match_lists import entries_of, first_match
from callflow.module import CallflowModule, ModuleData
from callflow.modules.fields import document_id
from callflow.outcomes import Continue, Outcome


class CidListMatchSchema(ModuleData):
    """Kazoo's callflows.cidlistmatch data."""

    id = document_id("the match list")


class CidListMatch(CallflowModule):
    """Goes to ``match`` or ``nomatch`` (else ``_``)."""

    data_schema = CidListMatchSchema

    def start(self, ctx: NodeContext) -> Outcome:
        number = str(ctx.call.get("caller_id_number") or "")
        list_id = ctx.data.get("id")
        entries = (
            entries_of(ctx.documents(), str(ctx.call["account_id"]), list_id) if list_id else []
        )
        entry = first_match([entries], number) if number else None
        if entry is None:
            ctx.note(f"{number or 'no caller id'}: not in list {list_id}")
            return Continue("nomatch")
        ctx.note(f"{number}: in list {list_id} (entry {entry['_id']})")
        return Continue("match")
