"""A set of time-of-day rules (Kazoo's ``temporal_rules_sets`` schema), used by
``temporal_route`` (its ``rule_set``, or a set id among its ``rules``)."""

from __future__ import annotations

from marshmallow import fields

from schemas.base import DocumentSchema, string, string_list
from schemas.rules import Length


class TemporalRuleSetSchema(DocumentSchema):
    pvt_type = "temporal_rule_set"

    name = string("A friendly name for the rule set", required=True, min_length=1, max_length=128)
    temporal_rules = fields.List(
        fields.String(),
        validate=[Length(min=1)],
        metadata={"description": "The temporal rules (ids) of the set"},
    )
    flags = string_list("Flags set by external applications")
