"""A DID belongs to one account: callflows claim theirs in the system numbers database
when saved (the routing of calls that carry no account), a DID another account holds is
refused, extensions stay private to each account, and deletions give numbers back."""

from __future__ import annotations

from api.server import RunningServer
from callflow.router import number_owner
from kazoo_tasks.docstore import DocumentStore
from tests.crossbar import LoggedIn, new_account

FLOW = {"module": "test_say", "data": {"text": "hello"}}
DID = "+14155550150"


def _create(owner: LoggedIn, numbers: list[str]) -> object:
    return owner.client.put(f"/accounts/{owner.id}/callflows", {"numbers": numbers, "flow": FLOW})


def test_given_a_did_of_another_account_when_a_callflow_claims_it_then_400_unique_and_nothing_is_saved(  # noqa: E501
    root: LoggedIn, store: DocumentStore, server: RunningServer
) -> None:
    assert _create(root, [DID]).status_code == 201
    other = new_account(store, server)

    answer = _create(other, ["2000", DID])

    assert answer.status_code == 400, answer.text
    assert answer.json()["data"] == {
        "numbers": {
            "unique": {"message": f"numbers {DID} belongs to another account", "cause": DID}
        }
    }
    assert other.client.get(f"/accounts/{other.id}/callflows").json()["data"] == []
    assert number_owner(store, DID) == root.id


def test_given_the_same_extension_in_two_accounts_when_saved_then_both_keep_it_unclaimed(
    root: LoggedIn, store: DocumentStore, server: RunningServer
) -> None:
    other = new_account(store, server)

    assert _create(root, ["1000"]).status_code == 201
    assert _create(other, ["1000"]).status_code == 201

    assert number_owner(store, "1000") is None


def test_given_an_account_holding_a_did_when_it_is_deleted_then_another_account_may_claim_it(
    root: LoggedIn, store: DocumentStore, server: RunningServer
) -> None:
    child = root.client.put(f"/accounts/{root.id}", {"name": "Leaving Co"}).json()["data"]
    created = root.client.put(
        f"/accounts/{child['id']}/callflows", {"numbers": [DID], "flow": FLOW}
    )
    assert created.status_code == 201, created.text
    assert number_owner(store, DID) == child["id"]

    assert root.client.delete(f"/accounts/{child['id']}").status_code == 200

    assert number_owner(store, DID) is None
    assert _create(root, [DID]).status_code == 201
    assert number_owner(store, DID) == root.id
