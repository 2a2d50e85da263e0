"""A callflow (Kazoo's ``callflows`` schema): numbers and patterns, and the tree run for them.

The ``flow`` tree is validated node by node: each node's ``module`` must be a registered
callflow module (entry-point group :data:`callflow.module.ENTRY_POINT_GROUP`) and its
``data`` must load through that module's ``data_schema``; one of Kazoo's modules that is
not installed here is refused as "not implemented yet" (:mod:`callflow.kazoo_modules`).
Errors keep the path of the bad field, e.g. ``flow.children._.data.id``. Modules come
from the engine's registry (:mod:`callflow.registry`), so what the API accepts is what
workers run. Uniqueness of numbers and patterns within the account needs the database and
is checked by the API's callflow service.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields

from callflow import kazoo_modules, registry
from schemas.base import DocumentSchema, SubSchema, nested, obj, string, string_list
from schemas.rules import RuleMessage, compiles_as_regex, fail

MAX_FLOW_DEPTH = 64
"""Deepest tree accepted (a guard against recursion bombs, far beyond real callflows)."""


def module_schema(name: str) -> type[Schema] | None:
    """The ``data_schema`` of the registered callflow module ``name``, or None.

    Modules are found by the engine's registry (:mod:`callflow.registry`): one look-up and
    one cache for validation and for running calls; ``registry.refresh()`` resets both.
    """
    module = registry.load_module(name)
    return None if module is None else module.data_schema


def load_node(node: Any, depth: int = 0) -> dict[str, Any]:
    """Validate one node and its children; returns the node with defaults filled in.

    Raises ValidationError whose messages nest like the node (``module``, ``data.<field>``,
    ``children.<key>.<...>``).
    """
    if not isinstance(node, dict):
        raise fail("type", "A callflow node must be an object")
    if depth >= MAX_FLOW_DEPTH:
        raise fail("maxDepth", f"Callflow deeper than {MAX_FLOW_DEPTH} nodes")
    errors: dict[str, Any] = {}
    loaded = dict(node)

    module = node.get("module")
    schema: type[Schema] | None = None
    if module is None:
        errors["module"] = [RuleMessage("required", "Field is required but missing")]
    elif not isinstance(module, str) or not 1 <= len(module) <= 64:
        errors["module"] = [RuleMessage("type", "Module must be a name of 1 to 64 characters")]
    else:
        schema = module_schema(module)
        reason = kazoo_modules.not_implemented(module) if schema is None else None
        if reason:
            errors["module"] = [
                RuleMessage("enum", f"Kazoo callflow module '{module}' is {reason}", target=module)
            ]
        elif schema is None:
            errors["module"] = [
                RuleMessage("enum", f"Unknown callflow module '{module}'", target=module)
            ]

    data = node.get("data", {})
    if not isinstance(data, dict):
        errors["data"] = [RuleMessage("type", "Data must be an object")]
    elif schema is not None:
        try:
            loaded["data"] = schema().load(data)
        except ValidationError as error:
            errors["data"] = error.messages
    else:
        loaded["data"] = data

    children = node.get("children", {})
    if not isinstance(children, dict):
        errors["children"] = [RuleMessage("type", "Children must be an object")]
    else:
        loaded_children: dict[str, Any] = {}
        child_errors: dict[str, Any] = {}
        for key, child in children.items():
            try:
                loaded_children[key] = load_node(child, depth + 1)
            except ValidationError as error:
                child_errors[key] = error.messages
        if child_errors:
            errors["children"] = child_errors
        loaded["children"] = loaded_children

    if errors:
        raise ValidationError(errors)
    return loaded


class FlowNode(fields.Field):
    """A callflow tree: ``{module, data, children: {key: node}}``, validated per module."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return load_node(value)


class FeatureCode(SubSchema):
    name = string("Feature code name", min_length=1, max_length=128)
    number = string("Feature code number", min_length=1, max_length=30)


class Ringback(SubSchema):
    early = string("Ringback played before answer")
    transfer = string("Ringback played on transfer")


class CallflowSchema(DocumentSchema):
    pvt_type = "callflow"

    name = string("A friendly name for the callflow")
    numbers = string_list(
        "Numbers that run this callflow (unique in the account)",
        item=string(min_length=1, max_length=64),
        default=[],
    )
    patterns = string_list(
        "Regular expressions of numbers that run this callflow (unique in the account)",
        item=string(min_length=1, extra=[compiles_as_regex]),
        default=[],
    )
    flow = FlowNode(
        required=True,
        metadata={"description": "The tree of nodes: module, data, children"},
    )
    featurecode = nested(FeatureCode, "Feature code this callflow implements")
    flags = string_list("Flags set by external applications")
    metaflow = obj("Metaflow bindings")
    ringback = nested(Ringback, "Ringback")
