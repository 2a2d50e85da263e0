"""``branch_variable``: branch on the value of a variable (Kazoo's cf_branch_variable).

``variable`` (a name, or a list of names: a path into a document) is looked up in
``scope``: ``custom_channel_vars`` (the call's; names compare as Kazoo normalizes them,
``Call-Priority`` is ``call_priority``), ``account`` (the account document), ``device``
(the calling device's document), ``user`` (its owner's, or the user hot-desked on it),
``merged`` (the calling device's document, then the channel variables). The child named by
the value (``true``/``false`` for booleans) is taken, else ``_``.
"""

from __future__ import annotations

import json
from typing import Any

from marshmallow import ValidationError, fields, validate

from callflow.context import NodeContext
from callflow.module import CallflowModule, ModuleData
from callflow.outcomes import Continue, Outcome

SCOPES = ["custom_channel_vars", "account", "device", "user", "merged"]


class VariablePath(fields.Field):
    """A name or a list of names (Kazoo accepts both)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise ValidationError("must be a name or a list of names")
        if not 1 <= len(names) <= 8 or any(len(n) > 128 for n in names):
            raise ValidationError("1 to 8 names of at most 128 characters")
        return names


class BranchVariableSchema(ModuleData):
    """Kazoo's callflows.branch_variable data."""

    variable = VariablePath(required=True, metadata={"description": "name or path"})
    scope = fields.String(load_default="custom_channel_vars", validate=validate.OneOf(SCOPES))


def _normalized(name: str) -> str:
    """Kazoo's ``kz_json:normalize_key``: lower case, ``-`` as ``_``."""
    return name.lower().replace("-", "_")


def _lookup(value: Any, path: list[str], normalize: bool = False) -> Any:
    for name in path:
        if not isinstance(value, dict):
            return None
        if normalize:
            value = {_normalized(k): v for k, v in value.items()}
            name = _normalized(name)
        value = value.get(name)
    return value


def _as_child_key(value: Any) -> str | None:
    if value is None or value == "" or isinstance(value, (dict, list)):
        return None
    return json.dumps(value) if isinstance(value, bool) else str(value)


class BranchVariable(CallflowModule):
    """Goes to the child named by the variable's value, else ``_``."""

    data_schema = BranchVariableSchema

    def start(self, ctx: NodeContext) -> Outcome:
        path, scope = ctx.data["variable"], ctx.data["scope"]
        channel_value = _lookup(dict(ctx.call["ccvs"]), path, normalize=True)
        if scope == "custom_channel_vars":
            values = [channel_value]
        elif scope == "account":
            values = [_lookup(ctx.document(str(ctx.call["account_id"])), path)]
        elif scope == "merged":
            values = [_lookup(self._endpoint(ctx, "device"), path), channel_value]
        else:
            values = [_lookup(self._endpoint(ctx, scope), path)]
        for value in values:
            key = _as_child_key(value)
            if key is not None and ctx.has_child(key):
                return Continue(key)
        ctx.note(f"{'.'.join(path)} in {scope}: {values!r}, no such child")
        return Continue()

    @staticmethod
    def _endpoint(ctx: NodeContext, scope: str) -> dict[str, Any] | None:
        """The calling device's document, or (``user``) its hot-desked user's or owner's."""
        ccvs = ctx.call["ccvs"]
        device_id = ccvs.get("Authorizing-ID")
        kind = ccvs.get("Authorizing-Type", "device")
        if not device_id or kind not in (
            ("device", "mobile") if scope == "device" else ("device",)
        ):
            return None
        device = ctx.document(device_id)
        if scope == "device" or device is None:
            return device
        hotdesked = (
            ((device.get("hotdesk") or {}).get("users") or {})
            if isinstance(device.get("hotdesk"), dict)
            else {}
        )
        user_id = next(iter(hotdesked), None) or device.get("owner_id")
        return ctx.document(user_id) if isinstance(user_id, str) else None
