"""``flush_dtmf``: forget a DTMF collection of the call (Kazoo's cf_flush_dtmf)."""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.dtmf_collections import DEFAULT, set_collected
from callflow.module import CallflowModule, ModuleData
from callflow.outcomes import Continue, Outcome


class FlushDtmfSchema(ModuleData):
    """Kazoo's callflows.flush_dtmf data."""

    collection_name = fields.String(
        load_default=DEFAULT,
        validate=validate.Length(min=1, max=128),
        metadata={"description": "the collection to forget"},
    )


class FlushDtmf(CallflowModule):
    """Forgets the collection (as Kazoo: the switch's own DTMF buffer is left alone),
    then continues to ``_``."""

    data_schema = FlushDtmfSchema

    def start(self, ctx: NodeContext) -> Outcome:
        set_collected(ctx, ctx.data["collection_name"], None)
        return Continue()
