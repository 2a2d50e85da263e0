"""``privacy``: hide the caller's name and/or number from the callee (Kazoo's cf_privacy),
usually behind a feature code pattern such as ``^\\*67(\\d+)$``.

``mode`` (``full``, ``name``, ``number``; ``yes`` is ``full``) sets the custom channel
variables ``Caller-Privacy-Hide-Name`` / ``-Number``, so the phones rung later see
"Anonymous" / "anonymous" (:mod:`callflow.caller_id`); ``endpoint_strategy: merge`` keeps
the callee endpoint's own privacy settings in play (kvs ``use_endpoint_privacy``). Then
the capture group is routed as a number of the account and the call branches there;
nothing routes it: the call stops. No capture group: ``_``.
"""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.caller_id import HIDE_NAME, HIDE_NUMBER
from callflow.context import NodeContext
from callflow.hunting import find_route
from callflow.module import CallflowModule, ModuleData
from callflow.outcomes import Continue, Outcome, Stop
from callflow.variables import set_channel_variable

HIDDEN = {"full": (HIDE_NAME, HIDE_NUMBER), "yes": (HIDE_NAME, HIDE_NUMBER)}
HIDDEN |= {"name": (HIDE_NAME,), "number": (HIDE_NUMBER,)}
"""Kazoo's ``kz_privacy:flags_by_mode``: what each mode hides."""


class PrivacySchema(ModuleData):
    """Kazoo's callflows.privacy data."""

    mode = fields.String(load_default="full", validate=validate.OneOf(sorted(HIDDEN)))
    endpoint_strategy = fields.String(
        load_default="overwrite", validate=validate.OneOf(["overwrite", "merge"])
    )


class Privacy(CallflowModule):
    """Hides the caller id, then branches to the dialed number's callflow."""

    data_schema = PrivacySchema

    def start(self, ctx: NodeContext) -> Outcome:
        for name in HIDDEN[ctx.data["mode"]]:
            set_channel_variable(ctx, name, "true")
        ctx.kvs_store("use_endpoint_privacy", ctx.data["endpoint_strategy"] == "merge")
        number = str(ctx.call.get("capture_group") or "")
        if not number:
            return Continue()
        found = find_route(ctx, number, allow_no_match=True)
        if found is None:
            ctx.note(f"no callflow for {number}")
            return Stop()
        return found
