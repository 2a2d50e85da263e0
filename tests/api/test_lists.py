"""Match lists through the API, as Kazoo's lists.md shows them: a list, then its entries
under ``/lists/{id}/entries`` (create, read, list, patch, replace, delete one, delete all),
entries of one list never seen through another, a list deleted with its entries, and a
pattern that does not compile refused. (The list itself through the generic CRUD:
tests/api/test_crud.py; tenancy: test_tenancy.py.)"""

from __future__ import annotations

import pytest

from kazoo_tasks.docstore import DocumentStore, account_db
from tests.crossbar import LoggedIn

pytestmark = pytest.mark.parametrize("store", ["embedded", "couch"], indirect=True)


def test_given_a_list_when_entries_are_added_edited_and_deleted_then_as_kazoo_documents(
    root: LoggedIn, store: DocumentStore
) -> None:
    lists = f"/accounts/{root.id}/lists"
    made = root.client.put(lists, {"name": "list name"})
    assert made.status_code == 201, made.text
    list_id = made.json()["data"]["id"]
    other_id = root.client.put(lists, {"name": "other"}).json()["data"]["id"]
    entries = f"{lists}/{list_id}/entries"

    entry = root.client.put(entries, {"number": "0123", "displayname": "List Entry"})
    assert entry.status_code == 201, entry.text
    entry_id = entry.json()["data"]["id"]
    assert entry.json()["data"]["list_id"] == list_id
    pattern = root.client.put(entries, {"pattern": "^\\+1415", "displayname": "SF"})
    assert pattern.status_code == 201, pattern.text
    foreign = root.client.put(f"{lists}/{other_id}/entries", {"number": "999", "list_id": list_id})
    assert foreign.json()["data"]["list_id"] == other_id  # the URL names the list

    listed = root.client.get(entries).json()["data"]
    assert sorted(e["displayname"] for e in listed) == ["List Entry", "SF"]
    assert root.client.get(f"{lists}/{other_id}/entries/{entry_id}").status_code == 404
    patched = root.client.patch(f"{entries}/{entry_id}", {"firstname": "First name"})
    assert patched.status_code == 200 and patched.json()["data"]["firstname"] == "First name"
    replaced = root.client.post(
        f"{entries}/{entry_id}", {"number": "0123", "displayname": "New List Entry"}
    )
    assert replaced.status_code == 200, replaced.text
    assert "firstname" not in replaced.json()["data"]
    assert root.client.delete(f"{entries}/{entry_id}").status_code == 200
    assert [e["displayname"] for e in root.client.get(entries).json()["data"]] == ["SF"]

    emptied = root.client.delete(entries)
    assert emptied.status_code == 200 and emptied.json()["data"] == [pattern.json()["data"]["id"]]
    assert root.client.get(entries).json()["data"] == []
    assert root.client.get(f"{lists}/{list_id}").json()["data"]["name"] == "list name"

    assert root.client.delete(f"{lists}/{other_id}").status_code == 200
    assert store.get(account_db(root.id), foreign.json()["data"]["id"])["pvt_deleted"] is True
    assert root.client.get(f"{lists}/{other_id}/entries").status_code == 404


def test_given_bad_entries_then_400_or_404(root: LoggedIn) -> None:
    lists = f"/accounts/{root.id}/lists"
    list_id = root.client.put(lists, {"name": "checked"}).json()["data"]["id"]
    bad = root.client.put(f"{lists}/{list_id}/entries", {"pattern": "^(+1"})
    assert bad.status_code == 400 and list(bad.json()["data"]) == ["pattern"]
    assert root.client.put(f"{lists}/{'0' * 32}/entries", {"number": "1"}).status_code == 404
    assert root.client.put(lists, {"description": "no name"}).status_code == 400
