"""A callflow (Kazoo's ``callflows`` schema): numbers and patterns, and the tree run for them.

The ``flow`` tree is validated node by node by :func:`callflow.flow_tree.load_node` (each
node's module registered, its ``data`` loaded through the module's ``data_schema``; one of
Kazoo's modules not installed here is refused as "not implemented yet"). Errors keep the
path of the bad field, e.g. ``flow.children._.data.id``. Modules come from the engine's
registry (:mod:`callflow.registry`), so what the API accepts is what workers run.
Uniqueness of numbers and patterns within the account needs the database and is checked
by the API's callflow service.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from callflow.flow_tree import load_node
from schemas.base import DocumentSchema, SubSchema, nested, obj, string, string_list
from schemas.rules import compiles_as_regex


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
