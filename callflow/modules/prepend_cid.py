"""``prepend_cid``: prefixes for the caller id the endpoints rung later see (Kazoo's
cf_prepend_cid: kvs ``prepend_cid_name`` / ``prepend_cid_number``). ``apply_to: current``
puts the new prefix in front of the prefixes already there, ``original`` replaces them;
``action: reset`` removes them."""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.caller_id import PREPEND_NAME, PREPEND_NUMBER
from callflow.context import NodeContext
from callflow.module import CallflowModule, ModuleData
from callflow.modules.fields import text
from callflow.outcomes import Continue, Outcome


class PrependCidSchema(ModuleData):
    """Kazoo's callflows.prepend_cid data."""

    action = fields.String(load_default="prepend", validate=validate.OneOf(["prepend", "reset"]))
    apply_to = fields.String(
        load_default="current", validate=validate.OneOf(["current", "original"])
    )
    caller_id_name_prefix = text("put in front of the caller id name", load_default="")
    caller_id_number_prefix = text("put in front of the caller id number", load_default="")


class PrependCid(CallflowModule):
    """Keeps (or removes) the prefixes, then continues to ``_``."""

    data_schema = PrependCidSchema

    def start(self, ctx: NodeContext) -> Outcome:
        data = ctx.data
        for key, prefix in (
            (PREPEND_NAME, data["caller_id_name_prefix"]),
            (PREPEND_NUMBER, data["caller_id_number_prefix"]),
        ):
            if data["action"] == "reset":
                ctx.kvs_erase(key)
            elif data["apply_to"] == "original":
                ctx.kvs_store(key, prefix)
            else:
                ctx.kvs_store(key, prefix + str(ctx.kvs_fetch(key, "")))
        return Continue()
