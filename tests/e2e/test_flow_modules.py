"""Flow modules on the whole pipeline: a blind transfer re-routes the call for its new
number; wait_for_hangup holds the call until the caller leaves."""

from __future__ import annotations

import pytest

from api.errors import ValidationFailed
from kazoo_tasks.docstore import account_db
from kazoo_tasks.esl.emulator import script as s
from tests.e2e.conftest import TONE, node


def test_given_a_blind_transfer_when_the_call_parks_again_then_it_is_routed_for_the_new_number(
    stack, account
):
    account.callflow(["5200"], node("play", {"id": TONE}, then=node("hangup")))
    account.callflow(["5100"], node("answer", then=node("transfer", {"target": "5200"})))

    call = stack.emulator.place_call("5100", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [(c.app, c.args) for c in call.commands if c.kind == "execute"] == [
        ("answer", ""),
        ("transfer", "5200 XML context_2"),
        ("playback", TONE),
    ]
    cdr = account.wait_cdr(call.uuid)
    routes = [e for e in cdr["trace"] if e.get("step") == "route"]
    assert [e.get("note") for e in routes] == [None, "parked again for 5200", None]


def test_given_a_bad_transfer_target_when_saved_then_it_is_refused(account):
    with pytest.raises(ValidationFailed, match="flow.data.target"):
        account.callflow(["5300"], node("transfer", {"target": "5200\nhangup"}))


def test_given_wait_for_hangup_then_the_call_stays_until_the_caller_hangs_up(stack, account):
    account.callflow(["5400"], node("answer", then=node("wait_for_hangup")))

    call = stack.emulator.place_call(
        "5400", variables=account.variables, script=[s.after(50.0).hangup("NORMAL_CLEARING")]
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [c.app for c in call.commands] == ["answer"]
    assert account.wait_cdr(call.uuid)["hangup_cause"] == "NORMAL_CLEARING"


def test_given_a_parked_call_when_another_caller_retrieves_its_slot_then_they_are_connected(
    stack, store, account
):
    account.callflow(["6101"], node("park", {"action": "park", "slot": "101"}))
    account.callflow(["6201"], node("park", {"action": "retrieve", "slot": "101"}))
    parked = stack.emulator.place_call("6101", variables=account.variables)
    parked.wait_for_command("endless_playback", timeout=30)

    retriever = stack.emulator.place_call(
        "6201", variables=account.variables, script=[s.on_event("CHANNEL_BRIDGE").wait(20).hangup()]
    )

    assert retriever.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert parked.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [c.app for c in parked.commands] == ["answer", "say", "endless_playback"]
    assert parked.commands[1].args == "en number pronounced 101"
    assert [c.app for c in retriever.commands] == ["answer", "uuid_bridge"]
    assert parked.uuid in retriever.commands[1].args
    notes = [e.get("note", "") for e in account.wait_cdr(retriever.uuid)["trace"]]
    assert f"retrieved {parked.uuid} from slot 101" in notes
    assert store.find(account_db(account.id), {"pvt_type": "parked_call"}) == []


def test_given_an_empty_slot_when_retrieved_then_the_flow_goes_on(stack, account):
    account.callflow(
        ["6202"],
        node("park", {"action": "retrieve", "slot": "102"}, then=node("play", {"id": TONE})),
    )

    call = stack.emulator.place_call("6202", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [c.app for c in call.commands if c.kind == "execute"] == ["answer", "playback"]


def test_given_calls_parked_in_auto_slots_then_each_gets_the_next_free_slot(stack, account):
    account.callflow(["6300"], node("park", {"action": "auto"}))

    first = stack.emulator.place_call("6300", variables=account.variables)
    first.wait_for_command("endless_playback", timeout=30)
    second = stack.emulator.place_call("6300", variables=account.variables)
    second.wait_for_command("endless_playback", timeout=30)

    says = [c.args for call in (first, second) for c in call.commands if c.app == "say"]
    assert says == ["en number pronounced 100", "en number pronounced 101"]
    first.hangup()
    second.hangup()
