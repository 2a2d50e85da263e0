"""``temporal_route`` through the whole pipeline, "as if it were" Tuesday 8 January 2030,
10:00 in New York: the workers run with KAZOO_CALL_CLOCK, the rules are temporal_rules
documents saved through the API's service, and each call's branch shows in what the
switch played and in the trace."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.documents import DocumentService
from api.temporal_rules.resource import SPEC as TEMPORAL_RULES
from api.temporal_rules_sets.resource import SPEC as TEMPORAL_RULES_SETS
from kazoo_tasks.clock import to_gregorian
from kazoo_tasks.docstore import account_db
from kazoo_tasks.testing import TestAccount, node
from tests.e2e.conftest import assert_refused

NEW_YORK = ZoneInfo("America/New_York")
AS_IF = "2030-01-08T10:00:00-05:00"
"""A Tuesday (the second of its month), 10:00 in New York, 07:00 in Los Angeles,
00:00 on Wednesday in Tokyo."""

OPEN = "tone_stream://%(100,0,440)"
CLOSED = "tone_stream://%(100,0,300)"
HOLIDAY = "tone_stream://%(100,0,500)"
OTHER = "tone_stream://%(100,0,600)"
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"]


def local_midnight(year: int, month: int, day: int) -> int:
    """Kazoo's start_date for that day in New York (gregorian seconds)."""
    return to_gregorian(datetime(year, month, day, tzinfo=NEW_YORK).timestamp())


RULES: dict[str, dict[str, Any]] = {
    "business": {
        "cycle": "weekly",
        "wdays": WEEKDAYS,
        "time_window_start": 9 * 3600,
        "time_window_stop": 17 * 3600,
    },
    "lunch": {"cycle": "daily", "time_window_start": 12 * 3600, "time_window_stop": 13 * 3600},
    "weekend": {"cycle": "weekly", "wdays": ["saturday", "sunday"]},
    "today": {"cycle": "date", "start_date": local_midnight(2030, 1, 8)},
    "christmas": {"cycle": "yearly", "month": 12, "days": [25]},
    "second_tuesday": {"cycle": "monthly", "ordinal": "second", "wdays": ["tuesday"]},
    "last_friday": {"cycle": "monthly", "ordinal": "last", "wdays": ["friday"]},
    "business_off": {**{"cycle": "weekly", "wdays": WEEKDAYS}, "enabled": False},
    "weekend_on": {"cycle": "weekly", "wdays": ["saturday", "sunday"], "enabled": True},
    "tokyo_wednesday_night": {
        "cycle": "weekly",
        "wdays": ["wednesday"],
        "time_window_start": 0,
        "time_window_stop": 3600,
    },
}


def save_rules(account: TestAccount) -> dict[str, str]:
    """Every rule of RULES saved as the API saves it; their ids by name."""
    service = DocumentService(account.store, TEMPORAL_RULES)
    saved = {}
    for name, rule in RULES.items():
        data = {"name": name, "start_date": local_midnight(2020, 1, 1), **rule}
        saved[name] = service.create(account.id, data)["_id"]
    return saved


def save_rule_set(account: TestAccount, name: str, rule_ids: list[str]) -> str:
    data = {"name": name, "temporal_rules": rule_ids}
    return DocumentService(account.store, TEMPORAL_RULES_SETS).create(account.id, data)["_id"]


def route(rules: list[str], children: dict[str, str], **data: Any) -> dict[str, Any]:
    """A temporal_route node whose children play the given tones."""
    kids = {key: node("play", {"id": tone}) for key, tone in children.items()}
    return node("temporal_route", {"rules": rules, **data}, **kids)


@pytest.fixture
def new_york(store) -> TestAccount:
    return TestAccount(store, "New York office", timezone="America/New_York")


def cases(ids: dict[str, str], sets: dict[str, str]) -> dict[str, tuple[dict, str, str]]:
    """Number -> (flow, the tone the caller hears, the child the trace names)."""
    return {
        "4001": (route([ids["business"]], {ids["business"]: OPEN, "_": CLOSED}), OPEN, "business"),
        "4002": (
            route([ids["lunch"], ids["business"]], {ids["lunch"]: OTHER, ids["business"]: OPEN}),
            OPEN,
            "business",
        ),
        "4003": (route([ids["weekend"]], {ids["weekend"]: OTHER, "_": CLOSED}), CLOSED, "_"),
        "4004": (
            route(
                [ids["christmas"], ids["today"], ids["business"]],
                {ids["christmas"]: OTHER, ids["today"]: HOLIDAY, ids["business"]: OPEN},
            ),
            HOLIDAY,
            "today",
        ),
        "4005": (
            route(
                [ids["last_friday"], ids["second_tuesday"]],
                {ids["last_friday"]: OTHER, ids["second_tuesday"]: HOLIDAY, "_": CLOSED},
            ),
            HOLIDAY,
            "second_tuesday",
        ),
        "4006": (
            route(
                [ids["business_off"], ids["weekend_on"]],
                {ids["business_off"]: OPEN, ids["weekend_on"]: OTHER, "_": CLOSED},
            ),
            OTHER,
            "weekend_on",
        ),
        "4007": (  # the node's own timezone: it is already Wednesday 00:00 in Tokyo
            route(
                [ids["business"], ids["tokyo_wednesday_night"]],
                {ids["business"]: OPEN, ids["tokyo_wednesday_night"]: OTHER},
                timezone="Asia/Tokyo",
            ),
            OTHER,
            "tokyo_wednesday_night",
        ),
        "4008": (  # rules given only as children keys (how Kazoo's UIs save them)
            route([], {ids["weekend"]: OTHER, ids["business"]: OPEN, "_": CLOSED}),
            OPEN,
            "business",
        ),
        "4009": (  # a rule set named by rule_set leads to the child "rule_set"
            route([], {"rule_set": OPEN, "_": CLOSED}, rule_set=sets["week"]),
            OPEN,
            "rule_set",
        ),
        "4010": (  # a rule set among the rules leads to the child of the set's id
            route([sets["week"]], {sets["week"]: OPEN, "_": CLOSED}),
            OPEN,
            "week",
        ),
        "4011": (  # a rule that does not exist is passed over
            route(
                ["no-such-rule", ids["business"]], {"no-such-rule": OTHER, ids["business"]: OPEN}
            ),
            OPEN,
            "business",
        ),
    }


def followed(cdr: dict) -> tuple[str, str]:
    """(outcome of the temporal_route node, its last note) in the trace."""
    steps = [t for t in cdr["trace"] if t.get("module") == "temporal_route"]
    notes = [t["note"] for t in steps if t["step"] == "note"]
    return next(t["outcome"] for t in steps if t["step"] == "start"), notes[-1]


def test_given_the_workers_clock_set_to_tuesday_10am_in_new_york_when_calls_reach_temporal_routes_then_each_takes_the_child_of_its_first_active_rule(  # noqa: E501
    stack_factory, new_york
):
    ids = save_rules(new_york)
    sets = {"week": save_rule_set(new_york, "week", [ids["weekend"], ids["business"]])}
    names = {**{v: k for k, v in ids.items()}, **{v: k for k, v in sets.items()}, "_": "_"}
    table = cases(ids, sets)
    for number, (flow, _, _) in table.items():
        new_york.callflow([number], flow)
    stack = stack_factory({"call_clock": AS_IF})

    calls = {n: stack.emulator.place_call(n, variables=new_york.variables) for n in table}

    heard, took = {}, {}
    for number, call in calls.items():
        assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
        heard[number] = call.applications[-1]
        outcome, _ = followed(new_york.wait_cdr(call.uuid))
        child = outcome.removeprefix("continue:")
        took[number] = names.get(child, child)
    assert heard == {n: ("playback", tone) for n, (_, tone, _) in table.items()}
    assert took == {n: child for n, (_, _, child) in table.items()}


def test_given_an_account_without_timezone_when_the_route_runs_then_the_default_timezone_decides(
    stack_factory, store
):
    account = TestAccount(store, "No timezone")
    ids = save_rules(account)
    account.callflow(["4100"], route([ids["business"]], {ids["business"]: OPEN, "_": CLOSED}))
    stack = stack_factory({"call_clock": AS_IF, "default_timezone": "America/Los_Angeles"})

    call = stack.emulator.place_call("4100", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert call.applications[-1] == ("playback", CLOSED)  # 07:00 in Los Angeles
    outcome, note = followed(account.wait_cdr(call.uuid))
    assert outcome == "continue:_"
    assert note == "no rule active at 2030-01-08T07:00:00-08:00 America/Los_Angeles"


def test_given_a_feature_code_that_disables_a_rule_when_called_then_the_rule_is_forced_off_for_the_next_call(  # noqa: E501
    stack_factory, new_york
):
    ids = save_rules(new_york)
    business = ids["business"]
    new_york.callflow(["*4101"], node("temporal_route", {"action": "disable", "rules": [business]}))
    new_york.callflow(["4101"], route([business], {business: OPEN, "_": CLOSED}))
    stack = stack_factory({"call_clock": AS_IF})

    toggle = stack.emulator.place_call("*4101", variables=new_york.variables)
    assert toggle.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    call = stack.emulator.place_call("4101", variables=new_york.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert new_york.store.get(account_db(new_york.id), business)["enabled"] is False
    assert call.applications[-1] == ("playback", CLOSED)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"rules": ["r1"], "timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"rules": "r1"}, "rules"),
        ({"rules": [""]}, "rules"),
        ({"action": "toggle"}, "action"),
    ],
)
def test_given_bad_temporal_route_data_when_the_callflow_is_saved_then_it_is_refused_with_the_field(
    new_york, data, field
):
    assert_refused(new_york, "4200", node("temporal_route", data), field)


def test_given_kazoos_loose_types_when_a_temporal_route_is_saved_then_it_is_accepted(new_york):
    data = {"rules": ["r1"], "interdigit_timeout": "2000", "skip_module": "false"}

    saved = new_york.callflows.read(
        new_york.id, new_york.callflow(["4201"], node("temporal_route", data))
    )

    assert saved["flow"]["data"]["interdigit_timeout"] == 2000
