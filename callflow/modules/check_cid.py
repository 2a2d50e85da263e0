"""``check_cid``: branch on the caller id number (Kazoo's cf_check_cid).

``regex`` (default ``.*``) is searched in the caller id number. No match: the ``nomatch``
child, else ``_``. A match: the ``match`` child (with ``use_absolute_mode``, the child
named by the caller id number itself), else ``_``; when that child exists and
``caller_id.external`` gives a name and a number and ``user_id`` is set, the call takes that
caller id and the user as its owner (kvs ``owner_id``) before going there.
"""

from __future__ import annotations

from marshmallow import fields

from callflow.context import NodeContext
from callflow.hunting import search
from callflow.module import CallflowModule, ModuleData
from callflow.modules.fields import document_id, regular_expression, text
from callflow.outcomes import Continue, Outcome


class ExternalCid(ModuleData):
    name = text("caller id name taken on a match")
    number = text("caller id number taken on a match")


class CallerIdSchema(ModuleData):
    external = fields.Nested(ExternalCid)


class CheckCidSchema(ModuleData):
    """Kazoo's callflows.check_cid data."""

    regex = fields.String(load_default=".*", validate=regular_expression)
    use_absolute_mode = fields.Boolean(load_default=False)
    caller_id = fields.Nested(CallerIdSchema)
    user_id = document_id("the user who owns the call on a match")


class CheckCid(CallflowModule):
    """Goes to ``match`` / ``nomatch`` (or the caller's number), else ``_``."""

    data_schema = CheckCidSchema

    def start(self, ctx: NodeContext) -> Outcome:
        number = str(ctx.call["caller_id_number"] or "")
        if not search(ctx.data["regex"], number):
            return Continue("nomatch")
        child = number if ctx.data["use_absolute_mode"] else "match"
        if not ctx.has_child(child):
            return Continue()
        external = (ctx.data.get("caller_id") or {}).get("external") or {}
        name, new_number, user_id = (
            external.get("name"),
            external.get("number"),
            ctx.data.get("user_id"),
        )
        if name and new_number and user_id:
            ctx.note(f"caller id now {name} <{new_number}>, owner {user_id}")
            ctx.set_caller_id(name, new_number)
            ctx.kvs_store("owner_id", user_id)
        return Continue(child)
