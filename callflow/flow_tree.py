"""A flow tree (a callflow's ``flow``, or one a pivot server sends) validated node by node.

Each node's ``module`` must be a registered callflow module (entry-point group
:data:`callflow.module.ENTRY_POINT_GROUP`) and its ``data`` must load through that
module's ``data_schema``; one of Kazoo's modules that is not installed here is refused as
"not implemented yet" (:mod:`callflow.kazoo_modules`). Errors keep the path of the bad
field (``data.id``, ``children._.module``...) and name Kazoo's rule. The API validates
saved callflows with it, and ``pivot`` the flows a customer's server returns: what is
accepted is what workers run.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from callflow import kazoo_modules, registry
from kazoo_tasks.rule_messages import RuleMessage, fail

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
