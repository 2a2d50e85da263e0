"""``temporal_route``: branch on the time of day, week, month or year (Kazoo's
cf_temporal_route).

The rules are ``temporal_rules`` documents of the account, tried in order: the ids in
``rules``, then the node's children keys (Kazoo's UIs key a child by its rule id), then
the rules of the ``rule_set`` document (they lead to the child ``rule_set``). An id that
names a ``temporal_rules_sets`` document stands for its rules, which lead to the child
of the set's id. The first rule active now (callflow.temporal) picks the child of its
key; none: ``_``. Now is the call's time (``ctx.now()``) in the node's ``timezone``,
else the account's (up its tree), else ``KAZOO_DEFAULT_TIMEZONE``.

``action`` ``enable`` / ``disable`` / ``reset`` forces the ``rules`` on, off or back to
their times (a feature code for "open the office now"), then continues to ``_``.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import ValidationError, fields, validate

from callflow.context import NodeContext
from callflow.documents import read_document
from callflow.module import CallflowModule, ModuleData
from callflow.outcomes import Continue, Outcome
from callflow.temporal import Rule, first_active, local_time, rule_from_document, zone_named
from kazoo_tasks.clock import now_gregorian
from kazoo_tasks.docstore import Conflict, NotFound, account_db

INHERIT = "inherit"
RULE_SET_CHILD = "rule_set"
ACTIONS = ("menu", "enable", "disable", "reset")
FORCED = {"enable": "enabled", "disable": "disabled", "reset": "reset"}
MAX_RULES = 100
"""Rules one node evaluates at most (a set of sets cannot make it read without end)."""
MAX_SAVE_TRIES = 5


def timezone_name(value: str) -> None:
    """A timezone of the IANA database, or ``inherit`` (the account's)."""
    if value != INHERIT and zone_named(value) is None:
        raise ValidationError("not a timezone of the IANA database (e.g. America/New_York)")


_DOC_ID = validate.Length(min=1, max=128)


class TemporalRouteSchema(ModuleData):
    """Kazoo's callflows.temporal_route data."""

    rules = fields.List(
        fields.String(validate=_DOC_ID),
        load_default=list,
        metadata={"description": "ids of temporal_rules (or temporal_rules_sets) documents"},
    )
    rule_set = fields.String(
        validate=_DOC_ID, metadata={"description": "a temporal_rules_sets document"}
    )
    timezone = fields.String(
        validate=timezone_name, metadata={"description": "timezone of the rules (or inherit)"}
    )
    action = fields.String(
        validate=validate.OneOf(ACTIONS),
        metadata={"description": "enable, disable or reset the rules instead of routing"},
    )
    interdigit_timeout = fields.Integer(
        validate=validate.Range(min=1), metadata={"description": "accepted, not used"}
    )


class TemporalRoute(CallflowModule):
    """Continues to the child of the first active rule, else to ``_``."""

    data_schema = TemporalRouteSchema

    def start(self, ctx: NodeContext) -> Outcome:
        action = ctx.data.get("action")
        if action in FORCED:
            return self._force(ctx, action)
        if action == "menu":
            ctx.note("action menu is not implemented: continuing")
            return Continue()
        zone = _timezone(ctx)
        now = local_time(ctx.now(), zone)
        found = first_active(_rules(ctx, zone), now)
        moment = now.isoformat(timespec="seconds")
        if found is None:
            ctx.note(f"no rule active at {moment} {zone.key}")
            return Continue()
        ctx.note(f"rule {found.key} ({found.name}) active at {moment} {zone.key}")
        return Continue(found.key)

    def _force(self, ctx: NodeContext, action: str) -> Outcome:
        """Set (or drop) ``enabled`` on each rule of ``rules`` (the same write again if
        the step runs again)."""
        db = account_db(str(ctx.call["account_id"]))
        store = ctx.documents()
        for rule_id in ctx.data["rules"]:
            for _ in range(MAX_SAVE_TRIES):
                try:
                    doc = dict(store.get(db, rule_id))
                    if action == "reset":
                        doc.pop("enabled", None)
                    else:
                        doc["enabled"] = action == "enable"
                    doc["pvt_modified"] = now_gregorian()
                    store.save(db, doc)
                    ctx.note(f"rule {rule_id} {FORCED[action]}")
                    break
                except NotFound:
                    ctx.note(f"rule {rule_id} not found")
                    break
                except Conflict:
                    continue
        return Continue()


def _timezone(ctx: NodeContext) -> ZoneInfo:
    """The node's timezone, else the account's (up its tree), else the default."""
    named = ctx.data.get("timezone")
    if named and named != INHERIT:
        zone = zone_named(named)
        if zone:
            return zone
    account_id = ctx.call.get("account_id")
    seen: set[str] = set()
    while account_id and account_id not in seen:
        seen.add(account_id)
        doc = read_document(ctx.documents(), account_db(account_id), account_id, ctx.cache)
        if doc is None:
            break
        name = doc.get("timezone")
        if name and name != INHERIT:
            zone = zone_named(name)
            if zone:
                return zone
            ctx.note(f"account {account_id}: unknown timezone {name!r}")
            break
        tree = doc.get("pvt_tree") or []
        account_id = tree[-1] if tree else None
    return zone_named(ctx.settings.default_timezone) or ZoneInfo("UTC")


def _routes(ctx: NodeContext) -> list[tuple[str, str]]:
    """(document id, child key) pairs, in Kazoo's order, rule sets expanded."""
    listed = [*ctx.data["rules"], *(k for k in ctx.child_keys() if k != "_")]
    routes = [(rule_id, rule_id) for rule_id in listed]
    if ctx.data.get("rule_set"):
        routes += [(rule, RULE_SET_CHILD) for rule in _set_rules(ctx, ctx.data["rule_set"])]
    expanded: list[tuple[str, str]] = []
    for doc_id, child in routes:
        members = [] if child == RULE_SET_CHILD else _set_rules(ctx, doc_id)
        expanded += [(rule, doc_id) for rule in members] or [(doc_id, child)]
    return expanded[:MAX_RULES]


def _set_rules(ctx: NodeContext, doc_id: str) -> list[str]:
    """The rule ids of a ``temporal_rules_sets`` document ([] for anything else)."""
    doc = ctx.document(doc_id)
    rules: Any = (doc or {}).get("temporal_rules")
    return [r for r in rules if isinstance(r, str)] if isinstance(rules, list) else []


def _rules(ctx: NodeContext, zone: ZoneInfo) -> list[Rule]:
    rules = []
    for doc_id, child in _routes(ctx):
        doc = ctx.document(doc_id)
        if doc is None:
            ctx.note(f"temporal rule {doc_id} not found")
            continue
        try:
            rules.append(rule_from_document(child, doc, zone))
        except ValueError as bad:
            ctx.note(f"skipped: {bad}")
    return rules
