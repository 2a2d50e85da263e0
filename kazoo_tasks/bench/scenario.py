"""What the benchmark's calls run: one account with an answer → play → hangup callflow."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from kazoo_tasks.docstore import DocumentStore, account_db

NUMBER = "1000"
EXPECTED_COMMANDS = [("execute", "answer"), ("execute", "playback"), ("hangup", "")]
"""What the switch must receive, in order, for a call to count as completed."""
COMPLETED_CAUSE = "NORMAL_CLEARING"


def tone(milliseconds: int) -> str:
    """A tone_stream playing 440 Hz for ``milliseconds`` (emulated time)."""
    return f"tone_stream://%({milliseconds},0,440)"


@dataclass(frozen=True)
class Scenario:
    """The seeded account (its database holds the callflow and, later, the CDRs)."""

    account_id: str
    callflow_id: str

    @property
    def channel_variables(self) -> dict[str, str]:
        """Channel variables of each call: the account, as Kazoo's ecallmgr sets it."""
        return {"ecallmgr_Account-ID": self.account_id}


def seed(store: DocumentStore, play_ms: int) -> Scenario:
    """A fresh account whose number :data:`NUMBER` answers, plays a tone and hangs up."""
    account_id = uuid.uuid4().hex
    db = account_db(account_id)
    store.ensure_db(db)
    hangup = {"module": "hangup", "data": {}, "children": {}}
    play = {"module": "play", "data": {"id": tone(play_ms)}, "children": {"_": hangup}}
    flow = {"module": "answer", "data": {}, "children": {"_": play}}
    doc = store.save(
        db,
        {"name": "bench: answer, play, hangup", "pvt_type": "callflow", "numbers": [NUMBER],
         "flow": flow},
    )  # fmt: skip
    return Scenario(account_id, doc["_id"])


HOOKS = ("channel_create", "channel_answer", "channel_destroy")
"""The account webhooks ``bench --hooks-url`` adds (each posts every call's event)."""


def seed_hooks(store: DocumentStore, scenario: Scenario, url: str) -> list[str]:
    """Account webhooks of the scenario's account posting :data:`HOOKS` to ``url``, as
    the API saves them (same schema and rules); returns their ids."""
    from api.documents import DocumentService
    from api.webhooks.resource import SPEC as WEBHOOKS

    hooks = DocumentService(store, WEBHOOKS)
    return [
        hooks.create(scenario.account_id, {"name": f"bench {hook}", "hook": hook, "uri": url})[
            "_id"
        ]
        for hook in HOOKS
    ]


def remove(store: DocumentStore, scenario: Scenario) -> None:
    """Delete the account's database (callflow and CDRs)."""
    store.delete_db(account_db(scenario.account_id))


def completed(commands: list[tuple[str, str]], cause: str | None) -> bool:
    """Whether a call ran exactly answer, playback, hangup and ended normally."""
    return cause == COMPLETED_CAUSE and commands == EXPECTED_COMMANDS
