"""``route_to_cid``: ring the phones whose caller id is the number dialed, with no callflow
per extension (Kazoo's cf_route_to_cid).

The devices and users of the account whose ``caller_id.<type>.number`` (for each of
``cid_types``: ``internal`` by default; an empty list: internal, external and emergency)
is the dialed number (``endpoint_types`` may keep only ``device`` or ``user``) ring
together for ``timeout`` seconds, as a group: answered, stop; a failure, the child of its
cause or SIP code, else ``_``; nobody has that caller id: ``_``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.legs import Bridge, RingModule
from callflow.module import ModuleData
from callflow.steps import Result, Step, Steps
from kazoo_tasks.docstore import account_db
from kazoo_tasks.docstore.soft_delete import is_deleted

ALL_TYPES = ("internal", "external", "emergency")
DEFAULT_TIMEOUT = 20


class RouteToCidSchema(ModuleData):
    """Kazoo's callflows.route_to_cid data."""

    cid_types = fields.List(
        fields.String(validate=validate.Regexp(r"^[a-z_]{1,32}$")),
        load_default=lambda: ["internal"],
    )
    endpoint_types = fields.List(
        fields.String(validate=validate.OneOf(["device", "user"])), load_default=list
    )
    timeout = fields.Integer(load_default=0, validate=validate.Range(min=0, max=3600))
    delay = fields.Integer(load_default=0, validate=validate.Range(min=0, max=3600))
    can_call_self = fields.Boolean()
    can_text_self = fields.Boolean()
    static_invite = fields.String()
    suppress_clid = fields.Boolean()


@dataclass(frozen=True)
class FindByCallerId(Step):
    """The devices and users whose caller id of one of ``cid_types`` is ``number``
    (``details["endpoints"]``: ``[type, id]`` pairs, in id order)."""

    number: str
    cid_types: tuple[str, ...]
    endpoint_types: tuple[str, ...]

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        db = account_db(str(ctx.call["account_id"]))
        found: set[tuple[str, str]] = set()
        for kind in self.endpoint_types or ("device", "user"):
            for cid_type in self.cid_types or ALL_TYPES:
                selector = {"pvt_type": kind, f"caller_id.{cid_type}.number": self.number}
                for doc in ctx.documents().find(db, selector):
                    if not is_deleted(doc) and doc.get("enabled") is not False:
                        found.add((kind, doc["_id"]))
        return Result(details={"endpoints": sorted([list(pair) for pair in found])})


class RouteToCid(RingModule):
    """Rings the endpoints whose caller id is the dialed number."""

    data_schema = RouteToCidSchema

    def steps(self, ctx: NodeContext) -> Steps:
        number = str(ctx.call.get("request_user") or "")
        data = ctx.data
        found = yield FindByCallerId(
            number, tuple(data["cid_types"]), tuple(data["endpoint_types"])
        )
        endpoints = found.details.get("endpoints") or []
        ctx.note(f"{number}: {len(endpoints)} endpoints have it as caller id")
        timeout = data["timeout"] or DEFAULT_TIMEOUT
        targets = tuple(
            (kind, doc_id, data["delay"] or None, timeout) for kind, doc_id in endpoints
        )
        return (yield from self.ring(ctx, Bridge(targets, timeout=timeout)))
