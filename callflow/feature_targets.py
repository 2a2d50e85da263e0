"""Whom a feature code names: the target of Kazoo's ``eavesdrop_feature``,
``intercept_feature`` and ``group_pickup_feature`` (``*88`` + extension...), from the
digits the callflow's pattern captured.

``extension``: the account's callflow for the number (its numbers and patterns, never
``no_match``) is searched depth first along its ``_`` children for the first node that
targets someone (Kazoo's ``cf_eavesdrop_feature:get_target_for_extension`` and
``cf_group_pickup_feature:build_pickup_params``): a ``user`` or ``device`` node's ``id``;
with ``ring_groups``, also a ``ring_group`` or ``page_group`` node's first endpoint.
``device``: the account's device whose ``sip.username`` is the number (Kazoo's
``cf_util:endpoint_id_by_sip_username``). Kazoo's other types (``user``, ``group``) are
"work in progress" in Kazoo itself and refused here as there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from callflow import router
from callflow.approvals import group_members
from callflow.context import NodeContext
from callflow.steps import ERROR, Result, Step
from kazoo_tasks.docstore import account_db
from kazoo_tasks.docstore.soft_delete import is_deleted

EXTENSION, DEVICE, USER, GROUP = "extension", "device", "user", "group"
"""The ``type`` values of the feature modules' data (how the captured digits are read)."""
TARGET_KEYS = {DEVICE: "device_id", USER: "user_id", GROUP: "group_id"}
"""The data key of the module a feature code runs, by the kind of target found."""
MAX_DEPTH = 50
"""Nodes followed down a callflow's ``_`` children (a saved flow is a tree, but a bound)."""


def _endpoint_of(node: Mapping[str, Any], ring_groups: bool) -> tuple[str, str] | None:
    """(kind, id) of the someone a node targets, or None."""
    module, data = node.get("module"), node.get("data")
    data = data if isinstance(data, Mapping) else {}
    if module in (USER, DEVICE):
        target = data.get("id")
        return (str(module), target) if isinstance(target, str) and target else None
    if ring_groups and module in ("ring_group", "page_group"):
        endpoints = data.get("endpoints")
        first = endpoints[0] if isinstance(endpoints, list) and endpoints else None
        if isinstance(first, Mapping) and first.get("endpoint_type") in TARGET_KEYS:
            target = first.get("id")
            return (first["endpoint_type"], target) if isinstance(target, str) else None
    return None


def flow_target(flow: Any, ring_groups: bool = False) -> tuple[str, str] | None:
    """(kind, id) of the first node along ``flow``'s ``_`` children that targets someone
    (kind ``user``, ``device`` or, with ``ring_groups``, ``group``); None when none does."""
    for _ in range(MAX_DEPTH):
        if not isinstance(flow, Mapping):
            return None
        found = _endpoint_of(flow, ring_groups)
        if found is not None:
            return found
        children = flow.get("children")
        flow = children.get("_") if isinstance(children, Mapping) else None
    return None


def device_by_username(ctx: NodeContext, username: str) -> str | None:
    """The id of the account's device whose SIP username is ``username`` (None when no
    device, or several, have it)."""
    db = account_db(str(ctx.call["account_id"]))
    found = ctx.documents().find(db, {"pvt_type": DEVICE, "sip.username": username}, limit=2)
    found = [doc for doc in found if not is_deleted(doc)]
    return found[0]["_id"] if len(found) == 1 else None


@dataclass(frozen=True)
class FindTarget(Step):
    """Whom ``number`` names, read as ``kind`` (:data:`EXTENSION` or :data:`DEVICE`):
    ``details`` ``{"key": "user_id" | "device_id" | "group_id", "id": ...}``, or ERROR
    with the reason in ``response``."""

    kind: str
    number: str
    ring_groups: bool = False
    member_of: str = ""
    """A group id: the target must be one of its members (ERROR otherwise)."""

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        if not self.number:
            return Result(ERROR, response="no number dialed after the code")
        if self.kind == DEVICE:
            device = device_by_username(ctx, self.number)
            if device is None:
                return Result(ERROR, response=f"no device with SIP username {self.number}")
            return Result(details={"key": TARGET_KEYS[DEVICE], "id": device})
        if self.kind != EXTENSION:
            return Result(ERROR, response=f"type {self.kind or 'undefined'} not implemented")
        found = router.route(ctx.documents(), ctx.call["account_id"], self.number, ctx.cache)
        if isinstance(found, router.NoRoute) or found.matched_by == router.NO_MATCH:
            return Result(ERROR, response=f"no callflow with extension {self.number}")
        target = flow_target(found.callflow.get("flow"), self.ring_groups)
        if target is None:
            return Result(ERROR, response=f"nobody to target in extension {self.number}")
        kind, target_id = target
        if self.member_of and target_id not in group_members(ctx, self.member_of):
            return Result(ERROR, response=f"{target_id} is not a member of {self.member_of}")
        return Result(details={"key": TARGET_KEYS[kind], "id": target_id})
