"""Kazoo's account utilities: ``about``, ``siblings`` and ``move``."""

from __future__ import annotations

import importlib.metadata

from api.server import RunningServer
from kazoo_tasks.docstore import ACCOUNTS_DB, DocumentStore, account_db
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


def _tree(store: DocumentStore, account_id: str) -> list[str]:
    """The stored tree of an account, in its own database and in the index (they agree)."""
    primary = store.get(account_db(account_id), account_id)["pvt_tree"]
    assert store.get(ACCOUNTS_DB, account_id)["pvt_tree"] == primary
    return list(primary)


def test_given_an_account_with_a_sub_account_when_an_ancestor_of_both_moves_it_then_trees_change(
    root: LoggedIn, store: DocumentStore, server: RunningServer
) -> None:
    left = new_account(store, server, parent=root.id)
    right = new_account(store, server, parent=root.id)
    below = new_account(store, server, parent=left.id)
    outsider = new_account(store, server)
    move = f"/accounts/{left.id}/move"

    assert right.client.put(move, {"to": right.id}).status_code == 403  # right is no ancestor
    assert outsider.client.put(move, {"to": right.id}).status_code == 403
    assert left.client.put(move, {"to": right.id}).status_code == 403  # nor is left itself
    assert root.client.put(move, {}).json()["data"] == {
        "to": {"required": {"message": "The account to move under is required"}}
    }
    assert root.client.put(move, {"to": below.id}).status_code == 400  # below itself
    assert root.client.put(move, {"to": left.id}).status_code == 400
    assert root.client.put(move, {"to": "0" * 32}).status_code == 400
    assert outsider.client.get(f"/accounts/{below.id}").status_code == 403
    assert _tree(store, left.id) == [root.id] and _tree(store, below.id) == [root.id, left.id]

    moved = root.client.post(move, {"to": right.id})  # Kazoo's verb; PUT works the same
    assert moved.status_code == 200, moved.text
    assert moved.json()["data"]["id"] == left.id
    assert _tree(store, left.id) == [root.id, right.id]
    assert _tree(store, below.id) == [root.id, right.id, left.id]
    assert right.client.get(f"/accounts/{below.id}").status_code == 200  # right reaches it now
    descendants = right.client.get(f"/accounts/{right.id}/descendants").json()["data"]
    assert {entry["id"] for entry in descendants} == {left.id, below.id}
    assert root.client.get(f"/accounts/{left.id}/children").json()["data"][0]["id"] == below.id

    admin = new_account(store, server, superduper_admin=True)
    back = admin.client.put(move, {"to": outsider.id})  # a system admin moves anywhere
    assert back.status_code == 200, back.text
    assert _tree(store, below.id) == [outsider.id, left.id]
    assert outsider.client.get(f"/accounts/{below.id}").status_code == 200
    assert root.client.get(f"/accounts/{below.id}").status_code == 403
