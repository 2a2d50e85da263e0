"""Number claims under concurrency, on both document back ends: two accounts save a
callflow with the same DID at the same moment, through two API processes (this one and a
``kazoo-tasks api`` subprocess) on one store, round after round. Exactly one wins each
round: one 201, one 400 ``unique``, the number owned by the winner, and no callflow of
the loser holding it. Counts are printed (pytest -s)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from callflow.router import number_owner
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore
from kazoo_tasks.testing import RoleProcess
from tests.api.conftest import settings_store
from tests.crossbar import Crossbar, LoggedIn, new_account
from tests.waiting import wait_for

ROUNDS = 25


@pytest.fixture
def api_settings(store_in_settings: Settings) -> Settings:
    return store_in_settings


@pytest.fixture
def store(api_settings: Settings) -> Iterator[DocumentStore]:
    yield from settings_store(api_settings)


@pytest.fixture
def other_process(api_settings: Settings, tmp_path: Path) -> Iterator[str]:
    """``kazoo-tasks api`` in its own process, on the same store and Redis."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = api_settings.with_overrides(api_port=port)
    process = RoleProcess(["api"], settings, tmp_path / "api.log").start()
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(f"{url}/v2/swagger.json", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    try:
        wait_for(up, timeout=30, what="the API subprocess")
        yield url
    finally:
        process.stop()


def race(contenders: list[tuple[LoggedIn, Crossbar]], did: str) -> dict[str, requests.Response]:
    """Each contender saves a callflow with ``did``, all released at the same moment."""
    barrier = threading.Barrier(len(contenders))
    answers: dict[str, requests.Response] = {}

    def save(who: LoggedIn, client: Crossbar) -> None:
        body = {"numbers": [did], "flow": {"module": "hangup", "data": {}, "children": {}}}
        barrier.wait()
        answers[who.id] = client.put(f"/accounts/{who.id}/callflows", body)

    threads = [threading.Thread(target=save, args=c) for c in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def test_given_two_accounts_saving_the_same_did_at_once_then_exactly_one_wins_every_round(
    root: LoggedIn, store: DocumentStore, server: object, other_process: str
) -> None:
    rival = new_account(store, server)  # type: ignore[arg-type]
    rival_client = Crossbar(other_process)
    rival_client.login(rival.api_key)
    contenders = [(root, root.client), (rival, rival_client)]
    outcomes: Counter[str] = Counter()
    for n in range(ROUNDS):
        did = f"+1415555{n:04d}"
        answers = race(contenders, did)
        codes = sorted(answer.status_code for answer in answers.values())
        assert codes == [201, 400], {k: v.text for k, v in answers.items()}
        winner = next(k for k, v in answers.items() if v.status_code == 201)
        loser = next(k for k, v in answers.items() if v.status_code == 400)
        assert "unique" in answers[loser].json()["data"]["numbers"]
        assert number_owner(store, did) == winner
        loser_client = root.client if loser == root.id else rival_client
        held = loser_client.get(f"/accounts/{loser}/callflows").json()["data"]
        assert [cf for cf in held if did in cf.get("numbers", [])] == []
        outcomes["winner: first account" if winner == root.id else "winner: second account"] += 1
        outcomes["rounds, exactly one winner"] += 1
    print(f"\nnumber claim races ({ROUNDS} rounds): {dict(outcomes)}")
