"""CDRs the engine writes carry Kazoo's gregorian seconds, so the API lists them by
``created_from`` / ``created_to`` like every other document."""

from __future__ import annotations

from kazoo_tasks.clock import now_gregorian
from tests.callflow.conftest import cdr_of, node
from tests.waiting import wait_for


def test_given_a_call_that_ended_when_cdrs_are_listed_by_a_created_window_then_its_cdr_is_in_it_and_not_outside(  # noqa: E501
    worker, switch, api_account, documents
):
    client, base = api_account.client, f"/accounts/{api_account.id}"
    created = client.put(f"{base}/callflows", {"numbers": ["2600"], "flow": node("answer")})
    assert created.status_code == 201, created.text
    before = now_gregorian()

    call_id = switch.park("2600", account_id=api_account.id)
    assert switch.wait_ended([call_id]) == []
    cdr = wait_for(lambda: cdr_of(documents, call_id, api_account.id))
    after = now_gregorian()

    inside = client.get(f"{base}/cdrs", params={"created_from": before, "created_to": after})
    assert inside.status_code == 200, inside.text
    assert [entry["call_id"] for entry in inside.json()["data"]] == [call_id]
    assert before <= inside.json()["data"][0]["timestamp"] <= after
    earlier = client.get(f"{base}/cdrs", params={"created_to": before - 1}).json()["data"]
    later = client.get(f"{base}/cdrs", params={"created_from": after + 1}).json()["data"]
    assert earlier == [] and later == []
    one = client.get(f"{base}/cdrs/{cdr['_id']}").json()["data"]
    assert one["callflow_id"] == created.json()["data"]["id"]
    assert before <= one["hangup_timestamp"] <= after
