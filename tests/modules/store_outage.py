"""``store_outage``: reads the document store as if it were down while the file named
``flag`` exists (it raises :class:`kazoo_tasks.docstore.Unavailable`), then continues to
``ok``: the engine must retry the step, not treat the outage as a module failure."""

from __future__ import annotations

import os

from marshmallow import Schema, fields

from callflow.context import NodeContext
from callflow.module import CallflowModule
from callflow.outcomes import Continue, Outcome
from kazoo_tasks.docstore import Unavailable


class StoreOutageSchema(Schema):
    flag = fields.String(required=True)


class StoreOutage(CallflowModule):
    """Raises Unavailable while ``flag`` exists, noting each try in a file beside it."""

    data_schema = StoreOutageSchema

    def start(self, ctx: NodeContext) -> Outcome:
        flag = ctx.data["flag"]
        with open(f"{flag}.tries", "a") as tries:
            tries.write("try\n")
        if os.path.exists(flag):
            raise Unavailable("the document store is down (test)")
        return Continue("ok")
