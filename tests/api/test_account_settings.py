"""Directories (with their users), an account's limits and the metaflows of accounts,
users and devices, through real HTTP as Kazoo's clients call them."""

from __future__ import annotations

from api.server import RunningServer
from kazoo_tasks.docstore import DocumentStore
from tests.crossbar import LoggedIn, new_account

# -- directories ------------------------------------------------------------------------


def test_given_a_directory_when_users_join_it_then_reading_it_lists_them_as_kazoo_does(
    root: LoggedIn,
) -> None:
    base = f"/accounts/{root.id}/directories"
    made = root.client.put(base, {"name": "Company", "min_dtmf": "2", "confirm_match": "false"})
    assert made.status_code == 201, made.text
    directory = made.json()["data"]
    assert (directory["min_dtmf"], directory["confirm_match"], directory["sort_by"]) == (
        2,
        False,
        "last_name",
    )
    assert directory["users"] == []
    directory_id = directory["id"]
    alice = root.client.put(
        f"/accounts/{root.id}/users",
        {"first_name": "Alice", "last_name": "Smith", "directories": {directory_id: "f" * 32}},
    )
    assert alice.status_code == 201, alice.text
    alice_id = alice.json()["data"]["id"]

    read = root.client.get(f"{base}/{directory_id}").json()["data"]
    assert read["users"] == [{"user_id": alice_id, "callflow_id": "f" * 32}]
    listed = root.client.get(base).json()["data"]
    assert listed == [{"id": directory_id, "name": "Company"}]

    item = f"{base}/{directory_id}"
    replaced = root.client.post(item, {"name": "Staff", "sort_by": "first_name"})
    assert replaced.status_code == 200 and replaced.json()["data"]["sort_by"] == "first_name"
    bad = root.client.post(item, {"name": "", "min_dtmf": 0, "sort_by": "age"})
    assert bad.status_code == 400
    assert set(bad.json()["data"]) == {"name", "min_dtmf", "sort_by"}
    assert root.client.delete(item).status_code == 200
    assert root.client.get(item).status_code == 404


# -- limits ---------------------------------------------------------------------------


def test_given_a_sub_account_when_its_parent_sets_limits_then_it_reads_them_but_cannot_raise_them(
    root: LoggedIn, store: DocumentStore, server: RunningServer
) -> None:
    child = new_account(store, server, parent=root.id)
    path = f"/accounts/{child.id}/limits"
    defaults = child.client.get(path)
    assert defaults.status_code == 200, defaults.text
    assert defaults.json()["data"] == {
        "allow_prepay": True,
        "authz_resource_types": [],
        "id": "limits",
    }

    limits = {
        "twoway_trunks": 0,
        "inbound_trunks": "11",
        "outbound_trunks": 5,
        "allow_prepay": True,
    }
    set_by_parent = root.client.post(path, limits)
    assert set_by_parent.status_code == 200, set_by_parent.text
    stored = child.client.get(path).json()["data"]
    assert (stored["inbound_trunks"], stored["outbound_trunks"], stored["id"]) == (11, 5, "limits")

    raised = child.client.post(path, {**limits, "outbound_trunks": 500})
    assert raised.status_code == 403
    assert child.client.get(path).json()["data"]["outbound_trunks"] == 5

    bad = root.client.post(path, {"calls": -1, "inbound_trunks": "many", "allow_prepay": "yes"})
    assert bad.status_code == 400
    assert set(bad.json()["data"]) == {"calls", "inbound_trunks", "allow_prepay"}
    revision = root.client.get(path).json()["revision"]
    assert root.client.post(path, limits, params={"rev": "1-stale"}).status_code == 409
    assert root.client.post(path, limits, params={"rev": revision}).status_code == 200


# -- metaflows -------------------------------------------------------------------------

TRANSFER = {
    "binding_digit": "*",
    "patterns": {"2(\\d+)": {"module": "transfer", "data": {"takeback_dtmf": "*1"}}},
}
"""Kazoo's documented example (metaflows.md)."""


def test_given_metaflows_when_set_read_and_removed_then_kazoos_answers(root: LoggedIn) -> None:
    device = root.client.put(f"/accounts/{root.id}/devices", {"name": "desk"}).json()["data"]
    user = root.client.put(
        f"/accounts/{root.id}/users",
        {"first_name": "A", "last_name": "B", "username": "ab", "password": "pw-secret-1"},
    ).json()["data"]
    for path in (
        f"/accounts/{root.id}/metaflows",
        f"/accounts/{root.id}/users/{user['id']}/metaflows",
        f"/accounts/{root.id}/devices/{device['id']}/metaflows",
    ):
        empty = root.client.get(path)
        assert empty.status_code == 200 and empty.json()["data"] == {}, path
        set_ = root.client.post(path, {**TRANSFER, "digit_timeout": "1500"})
        assert set_.status_code == 200, set_.text
        assert set_.json()["data"]["patterns"] == {
            "2(\\d+)": {"module": "transfer", "data": {"takeback_dtmf": "*1"}}
        }
        assert root.client.get(path).json()["data"]["digit_timeout"] == 1500
        bad = root.client.post(
            path, {"binding_digit": "**", "numbers": {"12a": {"module": "x"}, "3": {}}}
        )
        assert bad.status_code == 400, bad.text
        assert {"binding_digit", "numbers.12a.key", "numbers.3.value.module"} <= set(
            bad.json()["data"]
        ), bad.text
        removed = root.client.delete(path)
        assert removed.status_code == 200 and removed.json()["data"] == {}
        assert root.client.get(path).json()["data"] == {}
    # the user still logs in with the password it had (the owner document kept its fields)
    login = root.client.put(
        "/user_auth",
        {"username": "ab", "password": "pw-secret-1", "account_name": root.account["name"]},
        token="",
    )
    assert login.status_code == 201, login.text
    missing = root.client.get(f"/accounts/{root.id}/users/{'0' * 32}/metaflows")
    assert missing.status_code == 404
