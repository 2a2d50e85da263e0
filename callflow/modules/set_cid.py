"""``set_cid``: the caller id the endpoints rung later in the flow see (Kazoo's cf_set_cid:
kvs ``rewrite_cid_name`` / ``rewrite_cid_number``; an empty value forgets the rewrite)."""

from __future__ import annotations

from callflow.caller_id import REWRITE_NAME, REWRITE_NUMBER
from callflow.context import NodeContext
from callflow.module import CallflowModule, ModuleData
from callflow.modules.fields import text
from callflow.outcomes import Continue, Outcome


class SetCidSchema(ModuleData):
    """Kazoo's callflows.set_cid data."""

    caller_id_name = text("the caller id name to present", load_default="")
    caller_id_number = text("the caller id number to present", load_default="")


class SetCid(CallflowModule):
    """Keeps (or forgets) the rewrite, then continues to ``_``."""

    data_schema = SetCidSchema

    def start(self, ctx: NodeContext) -> Outcome:
        for key, value in (
            (REWRITE_NAME, ctx.data["caller_id_name"]),
            (REWRITE_NUMBER, ctx.data["caller_id_number"]),
        ):
            if value:
                ctx.kvs_store(key, value)
            else:
                ctx.kvs_erase(key)
        return Continue()
