"""The match-list modules on the whole pipeline: ``cidlistmatch`` sends callers in a list
one way and the others another, ``lookupcidname`` names a caller from a list's entry so the
phone rung next shows it, and a missing list or a caller in no list takes the default.
Lists and entries are written through the API's services (api/lists)."""

from __future__ import annotations

import pytest

from api.documents import DocumentService
from api.errors import ValidationFailed
from api.lists.resource import ENTRIES
from api.lists.resource import SPEC as LISTS
from tests.e2e.conftest import SECOND_TONE, TONE, node
from tests.e2e.test_bridging import Office

THIRD_TONE = "tone_stream://%(100,0,880)"


def played(call) -> list[str]:
    return [c.args for c in call.commands if c.app == "playback"]


def make_list(store, account, name: str, entries: list[dict]) -> str:
    """A list with ``entries``, as the API's PUT /lists and PUT /lists/{id}/entries do."""
    list_id = DocumentService(store, LISTS).create(account.id, {"name": name})["_id"]
    service = DocumentService(store, ENTRIES)  # the API's, with the list id of the URL
    for entry in entries:
        service.create(account.id, {**entry, "list_id": list_id})
    return list_id


def test_given_cidlistmatch_then_listed_callers_take_match_and_the_others_nomatch(
    stack, store, account
):
    vip = make_list(
        store,
        account,
        "VIP",
        [{"number": "1415555", "displayname": "Bay Area"}, {"pattern": "^\\+44"}],
    )
    children = {"match": node("play", {"id": TONE}), "nomatch": node("play", {"id": SECOND_TONE})}
    account.callflow(
        ["7300"], {"module": "cidlistmatch", "data": {"id": vip}, "children": children}
    )
    account.callflow(
        ["7301"],
        {
            "module": "cidlistmatch",
            "data": {"id": "no-such-list"},
            "children": {"_": node("play", {"id": THIRD_TONE})},
        },
    )

    by_prefix = stack.emulator.place_call("7300", variables=account.variables)
    by_pattern = stack.emulator.place_call(
        "7300", caller_id_number="+442071234567", variables=account.variables
    )
    stranger = stack.emulator.place_call(
        "7300", caller_id_number="+13125550100", variables=account.variables
    )
    no_list = stack.emulator.place_call("7301", variables=account.variables)

    for call in (by_prefix, by_pattern, stranger, no_list):
        assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert played(by_prefix) == [TONE]
    assert played(by_pattern) == [TONE]
    assert played(stranger) == [SECOND_TONE]
    assert played(no_list) == [THIRD_TONE]  # nomatch, no such child: _
    trace = account.wait_cdr(stranger.uuid)["trace"]
    assert any("not in list" in (e.get("note") or "") for e in trace)


def test_given_lookupcidname_then_the_caller_is_named_for_the_phone_rung_as_kazoo_matches(
    stack, store, account
):
    office = Office(stack, store, account)
    customers = make_list(
        store,
        account,
        "Customers",
        [
            {"number": "1415", "displayname": "California"},
            {"number": "14155550100", "displayname": "Alice at Acme"},
            {"pattern": "^\\+44", "firstname": "London", "lastname": "Office"},
        ],
    )
    region = make_list(store, account, "Region", [{"number": "1", "displayname": "North America"}])
    phone = office.phone("1031")
    office.far_end("1031", answer_after=0.1, hangup_after=0.3)
    flow = node("lookupcidname", {"lists": [customers, region]}, node("device", {"id": phone}))
    account.callflow(["7310"], flow)

    callers = {
        "+14155550100": "Alice at Acme",  # the longest prefix of the first list that has one
        "+13125550100": "North America",  # a prefix in any list before a pattern
        "+442071234567": "London Office",  # a pattern, no prefix anywhere
    }
    calls = {
        number: stack.emulator.place_call(
            "7310", caller_id_number=number, variables=account.variables
        )
        for number in callers
    }

    for number, call in calls.items():
        assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
        [dial] = [c.args for c in call.commands if c.app == "bridge"]
        assert f"origination_caller_id_name={callers[number]}," in dial, dial
        assert account.wait_cdr(call.uuid)["caller_id_name"] == callers[number]


def test_given_lookupcidname_without_lists_then_refused_at_save(account):
    with pytest.raises(ValidationFailed) as refused:
        account.callflow(["7320"], node("lookupcidname", {}))
    assert "flow.data.lists" in refused.value.data
