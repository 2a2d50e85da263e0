"""Kazoo's account utilities: ``about`` and ``siblings``."""

from __future__ import annotations

import importlib.metadata

from api.server import RunningServer
from kazoo_tasks.docstore import DocumentStore
from tests.crossbar import LoggedIn, new_account


def test_given_an_account_when_asking_about_then_versions_and_memory(root: LoggedIn) -> None:
    answer = root.client.get(f"/accounts/{root.id}/about")
    assert answer.status_code == 200, answer.text
    about = answer.json()["data"]
    assert about["version"] == "5.0.0"
    assert about["kazoo_tasks_version"] == importlib.metadata.version("kazoo-tasks")
    assert about["python_version"].startswith("3.") and about["used_memory"] > 1_000_000


def test_given_sub_accounts_when_listing_siblings_then_the_parents_children(
    root: LoggedIn, store: DocumentStore, server: RunningServer
) -> None:
    ids = []
    for name in ("Left", "Right"):
        made = root.client.put(f"/accounts/{root.id}", {"name": name})
        assert made.status_code == 201, made.text
        ids.append(made.json()["data"]["id"])
    answer = root.client.get(f"/accounts/{ids[0]}/siblings")
    assert answer.status_code == 200, answer.text
    assert sorted(entry["id"] for entry in answer.json()["data"]) == sorted(ids)

    left = new_account(store, server, parent=root.id)
    own = left.client.get(f"/accounts/{left.id}/siblings")
    assert own.status_code == 403  # as Kazoo: an account does not list its own siblings
    admin = new_account(store, server, superduper_admin=True)
    assert admin.client.get(f"/accounts/{admin.id}/siblings").status_code == 200
    top_level = admin.client.get(f"/accounts/{root.id}/siblings")
    assert top_level.status_code == 200 and top_level.json()["data"] == []
