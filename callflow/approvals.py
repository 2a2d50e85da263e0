"""Acting on another phone's call (``eavesdrop``, ``intercept``, ``group_pickup``): the
phones watched (:func:`watched_devices`) and who may act (:class:`Approval`, Kazoo's
``approved_*`` keys: the first of ``approved_device_id`` (the calling device),
``approved_user_id`` (a device of that user) and ``approved_group_id`` (a device of that
group) the node has decides)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.feature_codes import DEVICE
from callflow.legs import endpoint_reader
from callflow.module import ModuleData
from callflow.steps import ERROR, Result, Step

APPROVALS = ("approved_device_id", "approved_user_id", "approved_group_id")
NOBODY, EVERYBODY, WATCHED = "nobody", "everybody", "watched"
"""Who a node without an ``approved_*`` key lets act (:attr:`Approval.without_key`)."""


class ApprovalData(ModuleData):
    """Who may act: the ``approved_*`` keys of Kazoo's ``eavesdrop``, ``intercept``,
    ``group_pickup`` and their ``*_feature`` forms."""

    approved_device_id = fields.String(validate=validate.Length(min=1, max=128))
    approved_user_id = fields.String(validate=validate.Length(min=1, max=128))
    approved_group_id = fields.String(validate=validate.Length(min=1, max=128))


class WatchData(ApprovalData):
    """The keys Kazoo's ``eavesdrop``, ``intercept`` and ``group_pickup`` share: who may
    (``approved_*``) and the phones watched (``device_id``, ``user_id``)."""

    device_id = fields.String(validate=validate.Length(min=1, max=128))
    user_id = fields.String(validate=validate.Length(min=1, max=128))


def calling_device(ctx: NodeContext) -> str:
    """The id of the device that placed the call ("" when unknown)."""
    return str(ctx.call["ccvs"].get(DEVICE) or "")


def approvals(ctx: NodeContext) -> dict[str, str]:
    """The node's ``approved_*`` keys that are set."""
    return {key: ctx.data[key] for key in APPROVALS if ctx.data.get(key)}


def group_members(ctx: NodeContext, group_id: str) -> set[str]:
    """The ids (users and devices) of the members of group ``group_id`` of the account
    (none when it is not a group)."""
    group = endpoint_reader(ctx).document(group_id)
    if group is None or group.get("pvt_type") != "group":
        return set()
    return set(group.get("endpoints") or {})


def watched_devices(ctx: NodeContext) -> set[str]:
    """The ids of the devices the node acts on: ``device_id``, else the devices of
    ``user_id``, else those of ``group_id`` (Kazoo's order: the most restrictive)."""
    reader = endpoint_reader(ctx)
    if ctx.data.get("device_id"):
        return {ctx.data["device_id"]}
    if ctx.data.get("user_id"):
        return {d["_id"] for d in reader.owned_devices(ctx.data["user_id"])}
    if ctx.data.get("group_id"):
        return {e.endpoint_id for e in reader.group(ctx.data["group_id"])}
    return set()


@dataclass(frozen=True)
class Approval(Step):
    """Whether the caller may act (DONE) or not (ERROR), as Kazoo checks it. A node with
    no ``approved_*`` key lets ``without_key`` act: :data:`NOBODY` (eavesdrop),
    :data:`EVERYBODY` (group_pickup) or :data:`WATCHED`, a device among the watched ones
    (intercept: Kazoo's "same user" / "same group")."""

    without_key: str = NOBODY

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        caller = calling_device(ctx)
        key = next((k for k in APPROVALS if ctx.data.get(k)), None)
        if key is None and self.without_key == EVERYBODY:
            return Result()
        if not caller or key is None and self.without_key == NOBODY:
            return Result(ERROR)
        if key is None:
            return Result() if caller in watched_devices(ctx) else Result(ERROR)
        approved = ctx.data[key]
        reader = endpoint_reader(ctx)
        if key == "approved_device_id":
            allowed = caller == approved
        elif key == "approved_user_id":
            allowed = caller in {d["_id"] for d in reader.owned_devices(approved)}
        else:
            allowed = caller in {e.endpoint_id for e in reader.group(approved)}
        return Result() if allowed else Result(ERROR)
