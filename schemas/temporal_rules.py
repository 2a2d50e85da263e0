"""A time-of-day rule (Kazoo's ``temporal_rules`` schema), used by ``temporal_route``."""

from __future__ import annotations

from marshmallow import fields

from schemas.base import DocumentSchema, boolean, integer, string, string_list
from schemas.rules import OneOf, Range

WEEKDAYS = ("monday", "tuesday", "wednesday", "wensday", "thursday", "friday", "saturday", "sunday")
GREGORIAN_2000 = 62586115200
"""Kazoo's default start date: 2000-01-01 in gregorian seconds."""


class TemporalRuleSchema(DocumentSchema):
    pvt_type = "temporal_rule"

    name = string("A friendly name for the rule", required=True, min_length=1, max_length=128)
    cycle = string(
        "How the rule recurs",
        required=True,
        enum=("date", "daily", "weekly", "monthly", "yearly"),
    )
    days = fields.List(
        fields.Integer(strict=True, validate=[Range(min=1, max=31)]),
        metadata={"description": "Days of the month"},
    )
    enabled = boolean("Force the rule on (true), off (false) or by time (unset)")
    interval = integer("Recur every N cycles", minimum=1, default=1)
    month = integer("Month (yearly rules)", minimum=1, maximum=12)
    ordinal = string(
        "Which weekday of the month",
        enum=("every", "first", "second", "third", "fourth", "fifth", "last"),
    )
    start_date = integer("Start, in gregorian seconds", default=GREGORIAN_2000)
    time_window_start = integer("Seconds after midnight the rule opens", minimum=0, maximum=86400)
    time_window_stop = integer("Seconds after midnight the rule closes", minimum=0, maximum=86400)
    wdays = string_list("Weekdays", item=fields.String(validate=[OneOf(WEEKDAYS)]))
    flags = string_list("Flags set by external applications")
