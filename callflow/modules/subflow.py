"""``callflow``: run another callflow of the account (a branch; its ``_`` child resumes
when that callflow stops)."""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.module import CallflowModule, ModuleData
from callflow.outcomes import Branch, Outcome


class CallflowSchema(ModuleData):
    """The id of the callflow to run."""

    id = fields.String(required=True, validate=validate.Length(min=1, max=128))


class Subflow(CallflowModule):
    """Branches to the callflow ``id`` (continues to ``_`` when it does not exist)."""

    data_schema = CallflowSchema

    def start(self, ctx: NodeContext) -> Outcome:
        return Branch(ctx.data["id"])
