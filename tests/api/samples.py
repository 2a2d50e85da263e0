"""A valid document of every resource (``n`` keeps unique fields unique), and the field
each CRUD test changes and filters on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Sample:
    """How to make a valid document of a resource, and which field to play with."""

    make: Any  # (n: int) -> dict
    field: str
    """A top-level string field: replaced, patched and filtered on."""


def _callflow(n: int) -> dict[str, Any]:
    return {
        "name": f"flow {n}",
        "numbers": [f"10{n:02d}"],
        "flow": {"module": "test_say", "data": {"text": f"hello {n}"}},
    }


SAMPLES: dict[str, Sample] = {
    "users": Sample(
        lambda n: {"first_name": f"First{n}", "last_name": "Last", "username": f"user{n}"},
        "first_name",
    ),
    "devices": Sample(
        lambda n: {"name": f"phone {n}", "sip": {"username": f"dev{n}", "password": "secret1"}},
        "name",
    ),
    "callflows": Sample(_callflow, "name"),
    "vmboxes": Sample(lambda n: {"name": f"box {n}", "mailbox": f"20{n:02d}"}, "name"),
    "media": Sample(lambda n: {"name": f"greeting {n}"}, "name"),
    "menus": Sample(lambda n: {"name": f"menu {n}"}, "name"),
    "temporal_rules": Sample(lambda n: {"name": f"rule {n}", "cycle": "weekly"}, "name"),
    "temporal_rules_sets": Sample(
        lambda n: {"name": f"set {n}", "temporal_rules": [f"rule{n}"]}, "name"
    ),
    "groups": Sample(lambda n: {"name": f"group {n}", "endpoints": {}}, "name"),
    "conferences": Sample(lambda n: {"name": f"room {n}", "conference_numbers": [f"3{n}"]}, "name"),
    "queues": Sample(lambda n: {"name": f"queue {n}"}, "name"),
    "resources": Sample(
        lambda n: {"name": f"carrier {n}", "gateways": [{"server": f"sip{n}.carrier.test"}]},
        "name",
    ),
    "lists": Sample(lambda n: {"name": f"list {n}", "description": f"callers {n}"}, "name"),
    "webhooks": Sample(
        lambda n: {"name": f"hook {n}", "hook": "channel_create", "uri": f"http://h.test/{n}"},
        "name",
    ),
    "directories": Sample(lambda n: {"name": f"directory {n}"}, "name"),
    "functions": Sample(
        lambda n: {
            "name": f"function {n}",
            "function_js": f"return {{module: 'noop', data: {{}}}}; // {n}",
        },
        "name",
    ),
}
