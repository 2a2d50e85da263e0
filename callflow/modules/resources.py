"""``resources`` and ``offnet``: the call goes out through carriers (Kazoo's cf_resources
and cf_offnet, with stepswitch's choice of carrier: :mod:`callflow.carriers`).

The number (``to_did``, else the dialed number, normalized to E.164 unless
``bypass_e164`` / ``do_not_normalize``) is matched against the resources: the account's
own (``use_local_resources``, the default; ``hunt_account_id`` names an ancestor's: a
reseller's)
or the system's (``offnet``, or ``use_local_resources: false``). Every gateway of every
match is dialed in turn, best first, with the caller id of ``caller_id_type`` (the
calling device's, its owner's, else the account's ``caller_id.external``); an emergency
number or resource presents the ``emergency`` caller id. Answered: the flow stops (the
call ends when the people hang up). Not connected: the child named by the hangup cause,
else by the SIP code, else ``_``; nothing takes the number: ``NO_ROUTE_DESTINATION``
the same way. The outbound leg is claimed against the account's limits first
(:mod:`callflow.limits`): refused, the call does not go out (``OUTGOING_CALL_BARRED``).
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from callflow import carriers, limits
from callflow.caller_id import REWRITE_NAME, REWRITE_NUMBER, presented
from callflow.context import NodeContext
from callflow.endpoints import DEFAULT_PROFILE, CallerId, Endpoint
from callflow.legs import (
    CALLER_GONE,
    FAILED,
    BridgeOptions,
    BridgeResult,
    bridge_result,
    failure_child,
    send_bridge,
)
from callflow.module import CallflowModule, ModuleData
from callflow.outcomes import Continue, Outcome, Stop, Wait
from kazoo_tasks.docstore import NotFound, account_db
from kazoo_tasks.docstore.soft_delete import is_deleted
from kazoo_tasks.events import CallEvent

GLOBAL_DB = "offnet"
"""The system's resources (``/v2/resources``; api/resources/service.py names it too)."""
NO_ROUTE = "NO_ROUTE_DESTINATION"
_ACCOUNT_ID = validate.Regexp(r"^[0-9a-f]{32}$")


class ResourcesSchema(ModuleData):
    """Kazoo's callflows.resources (and callflows.offnet) data."""

    use_local_resources = fields.Boolean(
        load_default=True, metadata={"description": "the account's resources (else the system's)"}
    )
    hunt_account_id = fields.String(
        validate=_ACCOUNT_ID, metadata={"description": "use this account's resources instead"}
    )
    to_did = fields.String(
        validate=validate.Regexp(r"^\+?[0-9*#]{1,35}$"),
        metadata={"description": "dial this number instead of the one dialed"},
    )
    bypass_e164 = fields.Boolean(load_default=False)
    do_not_normalize = fields.Boolean(load_default=False)
    caller_id_type = fields.String(
        load_default="external", metadata={"description": "key of the `caller_id` object"}
    )
    outbound_flags = fields.List(fields.String(), load_default=list)
    timeout = fields.Integer(
        validate=validate.Range(min=0, max=3600), metadata={"description": "seconds to ring"}
    )
    ringback = fields.String(validate=validate.Length(max=1024))
    ignore_early_media = fields.Boolean(load_default=False)
    custom_sip_headers = fields.Dict(keys=fields.String(), values=fields.Raw())
    dynamic_flags = fields.List(fields.String())
    emit_account_id = fields.Boolean()
    format_from_uri = fields.Boolean()
    from_uri_realm = fields.String()
    resource_type = fields.String()


class Resources(CallflowModule):
    """Bridges the call through the carriers that take its number."""

    data_schema = ResourcesSchema
    global_only = False

    def start(self, ctx: NodeContext) -> Outcome:
        number = self._number(ctx)
        use_global = self.global_only or not ctx.data["use_local_resources"]
        resources = self._resources(ctx, use_global)
        caller_number = str(ctx.call.get("caller_id_number") or "")
        found = carriers.routes(
            resources, number, caller_number=caller_number, flags=ctx.data["outbound_flags"]
        )
        legs = self._legs(ctx, found, use_global)
        where = "system" if use_global else "account"
        ctx.note(f"{number}: {len(found)} {where} resources, {len(legs)} gateways")
        if not legs:
            return self._failed(ctx, BridgeResult(FAILED, cause=NO_ROUTE))
        refused = self._limits(ctx, number)
        if refused is not None:
            return refused
        options = BridgeOptions(
            "single",
            ctx.data.get("timeout") or None,
            ctx.data.get("ringback"),
            ctx.data["ignore_early_media"],
        )
        sent = send_bridge(ctx, legs, options)
        if isinstance(sent, BridgeResult):
            return self._failed(ctx, sent)
        ctx.state["bridge"] = sent
        return Wait()

    def on_event(self, ctx: NodeContext, event: CallEvent) -> Outcome:
        if ctx.completed(event) != ctx.state.get("bridge"):
            return Wait()
        result = bridge_result(event)
        ctx.note(result.describe())
        if result.answered or result.status == CALLER_GONE:
            return Stop()
        return self._failed(ctx, result)

    def _failed(self, ctx: NodeContext, result: BridgeResult) -> Outcome:
        ctx.note(f"not connected: {result.cause or result.status}")
        self._authorizer(ctx).release(
            str(ctx.call["call_id"]), self._limit_accounts(ctx), outbound_only=True
        )
        return Continue(failure_child(result, ctx) or "_")

    @staticmethod
    def _authorizer(ctx: NodeContext) -> limits.Authorizer:
        return limits.Authorizer(ctx.documents(), ctx.redis_client(), ctx.settings, ctx.cache)

    def _limit_accounts(self, ctx: NodeContext) -> list[str]:
        """Whose limits the call counts against (claimed when it was routed)."""
        claimed = ctx.call.get("limit_accounts")
        return list(claimed or self._authorizer(ctx).accounts(str(ctx.call["account_id"])))

    def _limits(self, ctx: NodeContext, number: str) -> Outcome | None:
        """Claim the outbound carrier leg against the limits (:mod:`callflow.limits`);
        refused: the bridge fails with ``OUTGOING_CALL_BARRED`` (its child, else ``_``,
        else the call ends with that cause)."""
        claimed = self._authorizer(ctx).outbound(
            str(ctx.call["call_id"]), self._limit_accounts(ctx), number, ctx.now()
        )
        if claimed.allowed:
            return None
        ctx.note(f"refused by the limits: {claimed.reason} (account {claimed.refused_by})")
        result = BridgeResult(FAILED, cause=limits.OUTBOUND_REFUSED)
        if failure_child(result, ctx) is None and not ctx.has_child("_"):
            ctx.note(f"not connected: {result.cause}")
            return Stop(cause=limits.OUTBOUND_REFUSED)
        return self._failed(ctx, result)

    def _number(self, ctx: NodeContext) -> str:
        number = str(ctx.data.get("to_did") or ctx.call.get("request_user") or "")
        if ctx.data["bypass_e164"] or ctx.data["do_not_normalize"]:
            return number
        return carriers.to_e164(number)

    def _resources(self, ctx: NodeContext, use_global: bool) -> list[dict[str, Any]]:
        if use_global:
            db = GLOBAL_DB
        else:
            db = account_db(self._hunt_account(ctx))
        try:
            found = ctx.documents().find(db, {"pvt_type": "resource"})
        except NotFound:  # no such database: nobody made a resource there yet
            return []
        return sorted((doc for doc in found if not is_deleted(doc)), key=lambda d: d["_id"])

    @staticmethod
    def _hunt_account(ctx: NodeContext) -> str:
        """Whose carriers: ``hunt_account_id`` when it is the call's account or one of its
        ancestors (a reseller's carriers), else the call's own account: a callflow cannot
        dial out through another tenant's carriers and credentials."""
        account_id = str(ctx.call["account_id"])
        hunt = ctx.data.get("hunt_account_id")
        if not hunt or hunt == account_id:
            return account_id
        tree = (ctx.document(account_id) or {}).get("pvt_tree") or []
        if hunt in tree:
            return str(hunt)
        ctx.note(f"hunt_account_id {hunt} is not an ancestor of the account: its own carriers")
        return account_id

    def _legs(
        self, ctx: NodeContext, found: list[carriers.Route], use_global: bool
    ) -> list[Endpoint]:
        external = self._caller_id(ctx, ctx.data["caller_id_type"])
        emergency: CallerId | None = None
        legs = []
        for route in found:
            if route.emergency and emergency is None:
                emergency = self._caller_id(ctx, "emergency")
            for gateway in route.gateways:
                leg = carriers.gateway_leg(
                    route,
                    gateway,
                    account_id=str(ctx.call["account_id"]),
                    caller=emergency if route.emergency and emergency else external,
                    profile=DEFAULT_PROFILE,
                    global_resource=use_global,
                )
                if leg is None:
                    ctx.note(f"resource {route.resource_id}: a gateway left out")
                else:
                    legs.append(leg)
        return legs

    def _caller_id(self, ctx: NodeContext, cid_type: str) -> CallerId:
        """The caller id the carrier gets: a flow's rewrite (set_cid) if any, else the one
        configured on the calling device, its owner or the account, else the caller's."""
        kvs = ctx.call.get("kvs") or {}
        name, number = presented(ctx.call)
        if kvs.get(REWRITE_NAME) or kvs.get(REWRITE_NUMBER):
            return CallerId(name, number)
        ccvs = ctx.call.get("ccvs") or {}
        docs = [
            ctx.document(str(ccvs[key])) for key in ("Authorizing-ID", "Owner-ID") if ccvs.get(key)
        ]
        docs.append(ctx.document(str(ctx.call["account_id"])))
        configured = carriers.configured_caller_id(docs, cid_type)
        return CallerId(configured.name or name, configured.number or number)


class Offnet(Resources):
    """``offnet``: ``resources`` on the system's resources (Kazoo's deprecated name)."""

    global_only = True
