"""Kazoo's phone numbers API over real HTTP: an account lists, adds, edits and removes
its numbers (one at a time and by collection); the numbers its callflows use appear;
a number one account holds is refused to another."""

from __future__ import annotations

from urllib.parse import quote

from api.server import RunningServer
from kazoo_tasks.docstore import DocumentStore
from tests.crossbar import LoggedIn, new_account

CNAM = {"cnam": {"display_name": "Acme Corp", "inbound_lookup": True}}


def test_given_an_account_when_it_adds_edits_and_removes_a_number_then_kazoos_answers(
    root: LoggedIn,
) -> None:
    base = f"/accounts/{root.id}/phone_numbers"
    one = f"{base}/{quote('+14155550100')}"
    assert root.client.get(base).json()["data"] == {"numbers": {}, "cascade_quantity": 0}

    added = root.client.put(f"{base}/4155550100", {"my_own_field": {}})  # normalized to E.164
    assert added.status_code == 201, added.text
    view = added.json()["data"]
    assert (view["id"], view["state"], view["my_own_field"]) == ("+14155550100", "reserved", {})
    assert view["_read_only"]["state"] == "reserved"
    again = root.client.put(one)
    assert again.status_code == 409 and again.json()["message"] == "number_exists"

    posted = root.client.post(one, {**CNAM, "my_own_field": "x"})
    assert posted.status_code == 200, posted.text
    assert posted.json()["data"]["features"] == ["outbound_cnam", "inbound_cnam"]
    patched = root.client.patch(one, {"my_own_field": 42, "cnam": None})
    assert patched.json()["data"]["my_own_field"] == 42 and "cnam" not in patched.json()["data"]
    bad = root.client.post(one, {"cnam": {"display_name": "x" * 16}, "e911": {"region": "C"}})
    assert bad.status_code == 400
    assert {"cnam.display_name", "e911.region", "e911.locality"} <= set(bad.json()["data"])

    listed = root.client.get(base).json()["data"]["numbers"]
    assert listed["+14155550100"]["state"] == "reserved"
    assert listed["+14155550100"]["assigned_to"] == root.id

    removed = root.client.delete(one)
    assert removed.status_code == 200 and removed.json()["data"]["state"] == "available"
    assert root.client.get(one).status_code == 404
    not_a_did = root.client.put(f"{base}/1234")
    assert not_a_did.status_code == 404 and not_a_did.json()["message"] == "not_reconcilable"


def test_given_a_callflow_with_a_did_when_numbers_are_listed_then_it_is_in_service(
    root: LoggedIn, store: DocumentStore, server: RunningServer
) -> None:
    base = f"/accounts/{root.id}/phone_numbers"
    assert root.client.put(f"{base}/{quote('+14155550111')}").status_code == 201
    flow = root.client.put(
        f"/accounts/{root.id}/callflows",
        {"numbers": ["4155550111", "+14155550122", "1000"], "flow": {"module": "hangup"}},
    )
    assert flow.status_code == 201, flow.text
    flow_id = flow.json()["data"]["id"]

    listed = root.client.get(base).json()["data"]["numbers"]
    assert sorted(listed) == ["+14155550111", "+14155550122"]  # not the extension
    assert {n["state"] for n in listed.values()} == {"in_service"}
    assert {n["used_by"] for n in listed.values()} == {"callflow"}
    in_use = root.client.delete(f"{base}/{quote('+14155550122')}")
    assert in_use.status_code == 400 and "in_use" in in_use.json()["data"]["number"]

    other = new_account(store, server)
    taken = other.client.put(f"/accounts/{other.id}/phone_numbers/{quote('+14155550111')}")
    assert taken.status_code == 409
    assert other.client.get(f"/accounts/{other.id}/phone_numbers/+14155550122").status_code == 404

    # the callflow lets its numbers go: the added one stays the account's, reserved again
    assert root.client.delete(f"/accounts/{root.id}/callflows/{flow_id}").status_code == 200
    listed = root.client.get(base).json()["data"]["numbers"]
    assert list(listed) == ["+14155550111"] and listed["+14155550111"]["state"] == "reserved"
    assert "used_by" not in listed["+14155550111"]


def test_given_a_collection_of_numbers_when_added_edited_removed_then_each_outcome(
    root: LoggedIn, store: DocumentStore, server: RunningServer
) -> None:
    base = f"/accounts/{root.id}/phone_numbers/collection"
    other = new_account(store, server)
    assert other.client.put(f"/accounts/{other.id}/phone_numbers/+14155550199").status_code == 201
    numbers = ["+14155550101", "+14155550102", "+14155550199"]

    added = root.client.put(base, {"numbers": numbers, "create_with_state": "in_service"})
    assert added.status_code == 200, added.text
    outcome = added.json()["data"]
    assert sorted(outcome["success"]) == numbers[:2]
    assert outcome["success"]["+14155550101"]["state"] == "in_service"
    assert outcome["error"]["+14155550199"]["error"] == "number_exists"

    patched = root.client.patch(base, {"numbers": numbers[:2], **CNAM}).json()["data"]
    assert {v["features"][0] for v in patched["success"].values()} == {"outbound_cnam"}
    assert root.client.post(base, {"numbers": "all"}).status_code == 400

    removed = root.client.request("DELETE", base, {"numbers": numbers}).json()["data"]
    assert sorted(removed["success"]) == numbers[:2]
    assert list(removed["error"]) == ["+14155550199"]  # not this account's
    assert root.client.get(f"/accounts/{root.id}/phone_numbers").json()["data"]["numbers"] == {}
    assert other.client.get(f"/accounts/{other.id}/phone_numbers/+14155550199").status_code == 200


def test_given_an_account_holding_numbers_when_deleted_then_its_numbers_are_free_again(
    root: LoggedIn,
) -> None:
    child = root.client.put(f"/accounts/{root.id}", {"name": "Leaving Co"}).json()["data"]["id"]
    number = quote("+14155550177")
    assert root.client.put(f"/accounts/{child}/phone_numbers/{number}").status_code == 201
    assert root.client.put(f"/accounts/{root.id}/phone_numbers/{number}").status_code == 409
    assert root.client.delete(f"/accounts/{child}").status_code == 200
    assert root.client.put(f"/accounts/{root.id}/phone_numbers/{number}").status_code == 201


def test_given_the_classifiers_when_listed_and_a_number_classified_then_kazoos_shapes(
    root: LoggedIn,
) -> None:
    base = f"/accounts/{root.id}/phone_numbers/classifiers"
    listed = root.client.get(base)
    assert listed.status_code == 200, listed.text
    classifiers = listed.json()["data"]
    assert {"tollfree_us", "toll_us", "emergency", "did_us", "international", "unknown"} <= set(
        classifiers
    )
    assert classifiers["did_us"]["friendly_name"] == "US DID"
    assert classifiers["emergency"]["emergency"] is True

    one = root.client.get(f"{base}/4155550100").json()["data"]
    assert one == {**classifiers["did_us"], "name": "did_us", "number": "4155550100",
                   "e164": "+14155550100"}  # fmt: skip
    tollfree = root.client.get(f"{base}/{quote('+18005550100')}").json()["data"]
    assert (tollfree["name"], tollfree["e164"]) == ("tollfree_us", "+18005550100")
    assert root.client.get(f"{base}/911").json()["data"]["name"] == "emergency"


def test_given_numbers_when_reserved_ported_and_activated_then_their_states_follow_kazoos(
    root: LoggedIn, store: DocumentStore, server: RunningServer
) -> None:
    base = f"/accounts/{root.id}/phone_numbers"
    reserved = root.client.put(f"{base}/4155550131/reserve")
    assert reserved.status_code == 201, reserved.text
    assert reserved.json()["data"]["state"] == "reserved"
    ported = root.client.put(f"{base}/4155550132/port", {"carrier_name": "old co"})
    assert ported.json()["data"]["state"] == "port_in", ported.text
    assert ported.json()["data"]["carrier_name"] == "old co"

    for number in ("4155550131", "4155550132"):
        activated = root.client.put(f"{base}/{number}/activate")
        assert activated.status_code == 201, activated.text
        assert activated.json()["data"]["state"] == "in_service"
    listed = root.client.get(base).json()["data"]["numbers"]
    assert {listed[n]["state"] for n in ("+14155550131", "+14155550132")} == {"in_service"}

    other = new_account(store, server)
    taken = other.client.put(f"/accounts/{other.id}/phone_numbers/4155550131/reserve")
    assert taken.status_code == 409 and taken.json()["message"] == "number_exists"
    never_searched = other.client.put(f"/accounts/{other.id}/phone_numbers/4155550133/activate")
    assert never_searched.status_code == 404, never_searched.text  # no carrier offered it


def test_given_a_number_when_identified_then_its_account_only_for_its_owner_and_ancestors(
    root: LoggedIn, store: DocumentStore, server: RunningServer
) -> None:
    child = root.client.put(f"/accounts/{root.id}", {"name": "Branch"}).json()["data"]["id"]
    assert root.client.put(
        f"/accounts/{child}/phone_numbers/4155550141", {"create_with_state": "in_service"}
    ).status_code == 201
    assert root.client.put(f"/accounts/{child}/phone_numbers/4155550142").status_code == 201

    found = root.client.get(f"/accounts/{root.id}/phone_numbers/4155550141/identify")
    assert found.status_code == 200, found.text
    assert found.json()["data"] == {"account_id": child, "number": "+14155550141"}
    idle = root.client.get(f"/accounts/{root.id}/phone_numbers/4155550142/identify")
    assert idle.status_code == 400 and idle.json()["data"]["cause"] == "not_in_service"

    stranger = new_account(store, server)
    hidden = stranger.client.get(f"/accounts/{stranger.id}/phone_numbers/4155550141/identify")
    assert hidden.status_code == 404 and hidden.json()["message"] == "bad_identifier"


def test_given_a_collection_of_one_number_when_it_fails_then_the_answer_is_its_error(
    root: LoggedIn, store: DocumentStore, server: RunningServer
) -> None:
    other = new_account(store, server)
    assert other.client.put(f"/accounts/{other.id}/phone_numbers/4155550151").status_code == 201
    answer = root.client.put(
        f"/accounts/{root.id}/phone_numbers/collection", {"numbers": ["+14155550151"]}
    )
    assert answer.status_code == 409, answer.text  # Kazoo's set_response: one number, failed
    assert answer.json()["message"] == "number_exists"
