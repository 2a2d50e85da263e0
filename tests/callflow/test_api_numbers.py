"""Callflows written through the REST API route calls: their DIDs are claimed in the
system numbers database, so a call that carries no account (``ecallmgr_Account-ID``)
finds its account, and an edit or a deletion moves or frees the number."""

from __future__ import annotations

from tests.callflow.conftest import cdr_of, node
from tests.waiting import wait_for

TONE = "tone_stream://%(200,0,440)"
PLAYED = ["answer", f"playback {TONE}", "hangup NORMAL_CLEARING"]
DID = "+14155550142"
OTHER_DID = "+14155550143"


def _no_route(switch, number: str) -> bool:
    call_id = switch.park(number)
    assert switch.wait_ended([call_id]) == []
    return switch.ended[call_id] == "NO_ROUTE_DESTINATION" and switch.apps(call_id) == [
        "hangup NO_ROUTE_DESTINATION"
    ]


def test_given_a_callflow_created_through_the_api_when_a_call_without_account_parks_then_it_reaches_it(  # noqa: E501
    worker, switch, api_account, documents
):
    answer = api_account.client.put(
        f"/accounts/{api_account.id}/callflows",
        {"numbers": [DID], "flow": node("play", {"id": TONE})},
    )
    assert answer.status_code == 201, answer.text

    call_id = switch.park(DID)  # no ecallmgr_Account-ID: a call from a carrier

    assert switch.wait_ended([call_id]) == []
    assert switch.apps(call_id) == PLAYED
    cdr = wait_for(lambda: cdr_of(documents, call_id, api_account.id))
    assert cdr["callflow_id"] == answer.json()["data"]["id"]


def test_given_a_callflow_whose_number_is_replaced_then_patched_then_deleted_when_calls_come_then_each_follows_the_numbers(  # noqa: E501
    worker, switch, api_account
):
    client, base = api_account.client, f"/accounts/{api_account.id}/callflows"
    flow = node("play", {"id": TONE})
    callflow_id = client.put(base, {"numbers": [DID], "flow": flow}).json()["data"]["id"]

    replaced = client.post(f"{base}/{callflow_id}", {"numbers": [OTHER_DID], "flow": flow})
    assert replaced.status_code == 200, replaced.text
    assert _no_route(switch, DID)
    moved = switch.park(OTHER_DID)
    assert switch.wait_ended([moved]) == [] and switch.apps(moved) == PLAYED

    patched = client.patch(f"{base}/{callflow_id}", {"numbers": [DID]})
    assert patched.status_code == 200, patched.text
    assert _no_route(switch, OTHER_DID)
    back = switch.park(DID)
    assert switch.wait_ended([back]) == [] and switch.apps(back) == PLAYED

    assert client.delete(f"{base}/{callflow_id}").status_code == 200
    assert _no_route(switch, DID)
