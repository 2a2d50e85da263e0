"""Kazoo's temporal rules: whether a time-of-day rule is active at a given moment.

A ``temporal_rules`` document describes a recurrence (``cycle``: ``date``, ``daily``,
``weekly``, ``monthly`` or ``yearly``, every ``interval`` cycles counted from
``start_date``) and a time window of the day (``time_window_start`` to
``time_window_stop``, seconds after local midnight, both included). A rule is active
when today is one of its days and the local time of day is inside the window, in the
timezone the ``temporal_route`` node gives (its own ``timezone``, else the account's).

The days of a rule, as cf_temporal_route and Kazoo's documentation define them:

* ``date``: the start date only;
* ``daily``: every ``interval`` days from the start date;
* ``weekly``: the ``wdays`` (all seven when empty) of every ``interval``-th ISO week
  (Monday to Sunday), counted from the start date's week;
* ``monthly``: in every ``interval``-th month from the start date's month, the ``days``
  of the month when given, else the ``ordinal`` (``every``, ``first``... ``fifth``,
  ``last``) occurrence of the ``wdays`` (a month without a fifth one has none);
* ``yearly``: in every ``interval``-th year, in ``month``, the same choice.

No day before the start date counts (Kazoo ignores a rule whose start date is still to
come); a rule without one starts today. ``enabled`` true forces a rule on whatever the
time, false off. A window whose stop is before its start never opens: Kazoo has no
window across midnight (use two rules). Times are wall-clock times in the timezone, so a
9:00 window opens at 9:00 local time on the days clocks change too.

Kazoo computes "the next occurrence after yesterday" and compares it with today; this
module asks "is today an occurrence" directly. Both agree except where Kazoo's
arithmetic is known to be wrong (documented in docs/callflows.md and pinned by
tests/callflow/test_temporal.py against Kazoo's own test vectors).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load

from kazoo_tasks.clock import UNIX_EPOCH_IN_GREGORIAN_SECONDS

SECONDS_IN_DAY = 86_400
CYCLES = ("date", "daily", "weekly", "monthly", "yearly")
WEEKDAYS = {
    "monday": 1,
    "tuesday": 2,
    "wednesday": 3,
    "wensday": 3,  # Kazoo's historical spelling, still accepted
    "thursday": 4,
    "friday": 5,
    "saturday": 6,
    "sunday": 7,
}
"""Weekday names to ISO weekday numbers (Monday 1)."""
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
"""The numbered ordinals; ``every`` and ``last`` are the other two."""


@dataclass(frozen=True)
class Rule:
    """One temporal rule, ready to evaluate; ``key`` is the child it routes to."""

    key: str
    name: str = "no_name"
    cycle: str = ""
    interval: int = 1
    days: tuple[int, ...] = ()
    wdays: tuple[int, ...] = ()
    """ISO weekday numbers (Monday 1 ... Sunday 7)."""
    ordinal: str = "first"
    month: int = 1
    start: date | None = None
    """The local start date (None: the rule starts on the day it is evaluated)."""
    window_start: int = 0
    window_stop: int = SECONDS_IN_DAY
    enabled: bool | None = None

    def occurs_on(self, day: date) -> bool:
        """Whether ``day`` is one of the rule's days (its window aside)."""
        start = self.start or day
        if day < start or self.cycle not in CYCLES:
            return False
        interval = max(self.interval, 1)
        match self.cycle:
            case "date":
                return day == start
            case "daily":
                return (day - start).days % interval == 0
            case "weekly":
                weeks = (_iso_monday(day) - _iso_monday(start)).days // 7
                return weeks % interval == 0 and day.isoweekday() in (self.wdays or range(1, 8))
            case "monthly":
                months = (day.year - start.year) * 12 + day.month - start.month
                return months % interval == 0 and self._on_day_of_month(day)
            case _:  # yearly
                years = day.year - start.year
                return (
                    years % interval == 0 and day.month == self.month and self._on_day_of_month(day)
                )

    def _on_day_of_month(self, day: date) -> bool:
        """The ``days`` of the month when given, else the ``ordinal`` ``wdays``."""
        if self.days:
            return day.day in self.days
        if day.isoweekday() not in self.wdays:
            return False
        if self.ordinal == "every":
            return True
        if self.ordinal == "last":
            return day.day + 7 > calendar.monthrange(day.year, day.month)[1]
        position = ORDINALS.get(self.ordinal)
        return position is not None and (day.day - 1) // 7 + 1 == position

    def open_at(self, second_of_day: int) -> bool:
        """Whether the window holds that second of the day (both ends included)."""
        return self.window_start <= second_of_day <= self.window_stop

    def active_at(self, local: datetime) -> bool:
        """Whether the rule is active at ``local`` (a time in the rule's timezone)."""
        if self.enabled is not None:
            return self.enabled
        second = local.hour * 3600 + local.minute * 60 + local.second
        return self.occurs_on(local.date()) and self.open_at(second)


def _iso_monday(day: date) -> date:
    return day - timedelta(days=day.isoweekday() - 1)


def first_active(rules: Iterable[Rule], local: datetime) -> Rule | None:
    """The first rule active at ``local``, in order (Kazoo's order: a forced-on rule wins
    where it stands, a forced-off one is passed over)."""
    return next((rule for rule in rules if rule.active_at(local)), None)


def local_time(unix_seconds: float, zone: ZoneInfo) -> datetime:
    """``unix_seconds`` as a wall-clock time in ``zone`` (whole seconds)."""
    return datetime.fromtimestamp(int(unix_seconds), zone)


def zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA timezone ``name`` (``America/New_York``...), None when unknown."""
    if not name or not isinstance(name, str):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def from_gregorian(seconds: int, zone: ZoneInfo) -> date:
    """The local date in ``zone`` of a Kazoo time (gregorian seconds, UTC)."""
    moment = datetime.fromtimestamp(seconds - UNIX_EPOCH_IN_GREGORIAN_SECONDS, UTC)
    return moment.astimezone(zone).date()


class _RuleDocument(Schema):
    """The keys of a ``temporal_rules`` document the evaluator reads, with Kazoo's
    defaults; numbers and booleans may come as strings (``"10"``, ``"true"``)."""

    class Meta:
        unknown = EXCLUDE

    name = fields.String(load_default="no_name")
    cycle = fields.String(load_default="")
    interval = fields.Integer(load_default=1)
    days = fields.List(fields.Integer(), load_default=list)
    wdays = fields.List(fields.String(), load_default=list)
    ordinal = fields.String(load_default="first")
    month = fields.Integer(load_default=1)
    start_date = fields.Integer(load_default=None)
    time_window_start = fields.Integer(load_default=0)
    time_window_stop = fields.Integer(load_default=SECONDS_IN_DAY)
    enabled = fields.Boolean(load_default=None)

    @pre_load
    def _drop_nulls(self, data: Any, **_: Any) -> Any:
        if isinstance(data, Mapping):
            return {k: v for k, v in data.items() if v is not None}
        return data


_RULE_DOCUMENT = _RuleDocument()


def rule_from_document(key: str, doc: Mapping[str, Any], zone: ZoneInfo) -> Rule:
    """The rule a ``temporal_rules`` document describes, routing to child ``key``; its
    start date is read in ``zone``. Raises ``ValueError`` for a document whose values
    have the wrong types (Kazoo would crash on it; the module skips it)."""
    try:
        loaded = _RULE_DOCUMENT.load(doc)
    except ValidationError as bad:
        raise ValueError(f"temporal rule {key}: {bad.messages}") from bad
    start = loaded["start_date"]
    return Rule(
        key=key,
        name=loaded["name"],
        cycle=loaded["cycle"],
        interval=loaded["interval"],
        days=tuple(sorted(set(loaded["days"]))),
        wdays=tuple(sorted({WEEKDAYS[d] for d in loaded["wdays"] if d in WEEKDAYS})),
        ordinal=loaded["ordinal"],
        month=loaded["month"],
        start=None if start is None else from_gregorian(start, zone),
        window_start=loaded["time_window_start"],
        window_stop=loaded["time_window_stop"],
        enabled=loaded["enabled"],
    )
