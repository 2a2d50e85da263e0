"""``kazoo-tasks seed demo``: a demo account with a few callflows, created through the same
services the REST API uses (same validation, same numbers index), idempotently."""

from __future__ import annotations

import json
from typing import Any

import click

from api.accounts.service import AccountService, create_account
from api.callflows.resource import SPEC as CALLFLOWS
from api.documents import DocumentService
from kazoo_tasks.config import Settings, get_settings
from kazoo_tasks.demo_company import seed_company
from kazoo_tasks.docstore import ACCOUNTS_DB, account_db
from kazoo_tasks.progress import progress_bar
from kazoo_tasks.services import document_store

DEMO_ACCOUNT_NAME = "Demo"
DEMO_REALM = "demo.kazoo-tasks.local"
TONE = "tone_stream://%(1000,0,440);loops=2"


def _node(module: str, data: dict[str, Any] | None = None, **children: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"module": module, "data": data or {}}
    if children:
        node["children"] = {
            ("_" if key == "then" else key): child for key, child in children.items()
        }
    return node


WELCOME = {
    "name": "Welcome tone",
    "numbers": ["1000"],
    "flow": _node("answer", then=_node("play", {"id": TONE}, then=_node("hangup"))),
}


def demo_callflows(welcome_id: str) -> list[dict[str, Any]]:
    """The other demo callflows (one branches into the welcome callflow)."""
    greeting = _node(
        "tts",
        {"text": "Welcome to kazoo tasks."},
        then=_node(
            "sleep", {"duration": 500, "unit": "ms"}, then=_node("callflow", {"id": welcome_id})
        ),
    )
    read_back = _node("say", {"say_text": "5550100", "type": "number", "method": "iterated"})
    return [
        {
            "name": "Greeting, then the welcome tone",
            "numbers": ["2000", "+14155550123"],
            "flow": _node("answer", then=greeting),
        },
        {
            "name": "Read back a number",
            "patterns": [r"^\+?1?(\d{10})$"],
            "flow": _node("answer", then={**read_back, "children": {"_": _node("hangup")}}),
        },
        {
            "name": "Anything else",
            "numbers": ["no_match"],
            "flow": _node("response", {"code": 404, "message": "Not Found"}),
        },
    ]


def seed_demo(settings: Settings) -> dict[str, Any]:
    """Create (or find) the demo account and its callflows; returns what a user needs
    (a progress bar of the three steps on a terminal)."""
    store = document_store(settings)
    with progress_bar("seed demo: account", 3) as bar:
        store.ensure_db(ACCOUNTS_DB)
        account = AccountService(store).find_one(name=DEMO_ACCOUNT_NAME)
        if account is None:
            account, _ = create_account(store, DEMO_ACCOUNT_NAME, realm=DEMO_REALM)
        account_id = account["_id"]
        bar.update(1, "seed demo: callflows")
        service = DocumentService(store, CALLFLOWS)
        existing = {
            doc.get("name"): doc
            for doc in store.find(account_db(account_id), {"pvt_type": "callflow"})
        }

        def ensure(callflow: dict[str, Any]) -> dict[str, Any]:
            return existing.get(callflow["name"]) or service.create(account_id, callflow)

        welcome = ensure(WELCOME)
        saved = [welcome, *(ensure(cf) for cf in demo_callflows(welcome["_id"]))]
        bar.update(2, "seed demo: users, phones, queue")
        company = seed_company(store, account_id)
        bar.update(3, "seed demo: done")
    return {
        "account_id": account_id,
        "account_name": account["name"],
        "realm": account.get("realm"),
        "api_key": account["pvt_api_key"],
        "numbers": [n for doc in saved for n in doc.get("numbers", []) if n != "no_match"],
        **company,
    }


@click.group()
def command() -> None:
    """Load sample data."""


@command.command()
def demo() -> None:
    """Create the demo account (once) and print it as one JSON line."""
    click.echo(json.dumps(seed_demo(get_settings())))
