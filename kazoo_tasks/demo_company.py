"""The demo account's company: people and their phones, a ring group, an IVR menu, open
hours and a mailbox, wired into one callflow (time of day → menu → ring group →
voicemail), and a call-center queue with two agents, created through the API's own
services (same validation), idempotently.

``make run`` registers the phones with the FreeSWITCH emulator and tells it what each
far end does (:data:`PHONES`), so a newcomer can call the company and press keys::

    kazoo-tasks emulator call 3000 --var ecallmgr_Account-ID=<id> --press 1 --when first-playback
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.callflows.resource import SPEC as CALLFLOWS
from api.devices.resource import SPEC as DEVICES
from api.documents import DocumentService, ResourceSpec
from api.menus.resource import SPEC as MENUS
from api.queues.resource import SPEC as QUEUES
from api.temporal_rules.resource import SPEC as TEMPORAL_RULES
from api.users.resource import SPEC as USERS
from api.vmboxes.resource import SPEC as VMBOXES
from kazoo_tasks.docstore import DocumentStore, account_db

COMPANY_NUMBER = "3000"
MAILBOX = "5000"
MAILBOX_PIN = "1234"
CHECK_VOICEMAIL = "*97"
QUEUE_NUMBER = "4000"
GREETING = "tone_stream://%(400,200,523);%(400,200,659);%(800,0,784)"


@dataclass(frozen=True)
class Phone:
    """A demo phone: its SIP user, password, owner (a user's first name, or None) and
    what the emulated far end does when it rings (an emulator endpoint rule)."""

    username: str
    password: str
    name: str
    owner: str | None
    rule: dict[str, Any]


PHONES = (
    Phone(
        "1101", "sally-secret", "Sally's desk", "Sally", {"answer_after": 2.0, "hangup_after": 8.0}
    ),
    Phone("1102", "sam-secret", "Sam's desk", "Sam", {"no_answer": True}),
    Phone("1201", "sue-secret", "Sue's desk", "Sue", {"busy": True}),
    Phone("1001", "desk-secret", "Front desk", None, {"answer_after": 1.0, "hangup_after": 5.0}),
    Phone(
        "1301", "quinn-secret", "Quinn's desk", "Quinn", {"answer_after": 2.0, "hangup_after": 8.0}
    ),
    Phone("1302", "reed-secret", "Reed's desk", "Reed", {"answer_after": 3.0, "hangup_after": 8.0}),
)
PEOPLE = {"Sally": "Sales", "Sam": "Sales", "Sue": "Support", "Quinn": "Agent", "Reed": "Agent"}
AGENTS = ("Quinn", "Reed")
"""The people who take the queue's calls (logged in by ``make run``)."""


def _node(module: str, data: dict[str, Any] | None = None, **children: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"module": module, "data": data or {}}
    if children:
        node["children"] = {("_" if k == "then" else k): v for k, v in children.items()}
    return node


class _Seeder:
    """Creates what is missing, finds what exists (by name)."""

    def __init__(self, store: DocumentStore, account_id: str) -> None:
        self.store, self.account_id = store, account_id

    def ensure(self, spec: ResourceSpec, data: dict[str, Any], key: str = "name") -> str:
        db = account_db(self.account_id)
        found = self.store.find(db, {"pvt_type": spec.pvt_type, key: data[key]})
        if found:
            return found[0]["_id"]
        return DocumentService(self.store, spec).create(self.account_id, data)["_id"]


def seed_company(store: DocumentStore, account_id: str) -> dict[str, Any]:
    """The company of the demo account; returns its numbers and phones."""
    seed = _Seeder(store, account_id)
    queue = seed.ensure(
        QUEUES, {"name": "Help line", "strategy": "most_idle", "agent_wrapup_time": 5}
    )
    users = {
        first: seed.ensure(
            USERS,
            {
                "first_name": first,
                "last_name": team,
                "username": first.lower(),
                **({"queues": [queue]} if first in AGENTS else {}),
            },
            key="username",
        )
        for first, team in PEOPLE.items()
    }
    devices = {
        phone.username: seed.ensure(
            DEVICES,
            {
                "name": phone.name,
                "sip": {"username": phone.username, "password": phone.password},
                **({"owner_id": users[phone.owner]} if phone.owner else {}),
            },
        )
        for phone in PHONES
    }
    box = seed.ensure(VMBOXES, {"name": "Company mailbox", "mailbox": MAILBOX, "pin": MAILBOX_PIN})
    menu = seed.ensure(
        MENUS,
        {"name": "Main menu", "retries": 3, "timeout": 5000, "media": {"greeting": GREETING}},
    )
    open_hours = seed.ensure(
        TEMPORAL_RULES,
        {
            "name": "Open hours (every day, all day: edit it)",
            "cycle": "weekly",
            "interval": 1,
            "wdays": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
            "time_window_start": 0,
            "time_window_stop": 86400,
        },
    )
    voicemail = _node("voicemail", {"id": box})
    sales = _node(
        "ring_group",
        {
            "name": "Sales",
            "endpoints": [
                {"id": users["Sally"], "endpoint_type": "user"},
                {"id": users["Sam"], "endpoint_type": "user"},
            ],
            "timeout": 15,
        },
        then=voicemail,
    )
    menu_node = _node(
        "menu",
        {"id": menu},
        **{
            "1": sales,
            "2": _node("user", {"id": users["Sue"]}, then=voicemail),
            "0": _node("device", {"id": devices["1001"]}, then=voicemail),
            "timeout": voicemail,
            "max_retries": voicemail,
        },
    )
    flow = _node(
        "temporal_route", {"rules": [open_hours]}, **{open_hours: menu_node, "then": voicemail}
    )
    seed.ensure(
        CALLFLOWS,
        {
            "name": "Company: open hours, menu, sales, support, voicemail",
            "numbers": [COMPANY_NUMBER],
            "flow": flow,
        },
    )
    seed.ensure(
        CALLFLOWS,
        {
            "name": "Check the company mailbox",
            "numbers": [CHECK_VOICEMAIL],
            "flow": _node("voicemail", {"action": "check", "id": box}),
        },
    )
    seed.ensure(
        CALLFLOWS,
        {
            "name": "Help line: wait for an agent, else voicemail",
            "numbers": [QUEUE_NUMBER],
            "flow": _node("acdc_member", {"id": queue}, then=voicemail),
        },
    )
    return {
        "company_number": COMPANY_NUMBER,
        "queue_number": QUEUE_NUMBER,
        "queue_id": queue,
        "agents": [users[first] for first in AGENTS],
        "check_voicemail": CHECK_VOICEMAIL,
        "mailbox_pin": MAILBOX_PIN,
        "phones": [phone.username for phone in PHONES],
    }
