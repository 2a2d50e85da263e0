"""Feature codes a person dials from their phone, on the whole pipeline: ``do_not_disturb``
(*78 / *79 / toggle) and ``call_forward`` (*72<number>, *73, typed numbers, toggle, the
menu) change the user's (or the phone's) document, and ringing honours it: a user on
do-not-disturb is not rung, a forwarded user's calls ring the forward number instead of
(or beside) the phones. ``call_waiting`` switches its setting, ``manual_presence`` stores
a presence state, ``ring_group_toggle`` logs a user out of (and into) a ring group."""

from __future__ import annotations

from typing import Any

import pytest

from callflow.presence import stored
from kazoo_tasks.docstore import account_db
from kazoo_tasks.esl.emulator import script as s
from tests.e2e.conftest import TONE, assert_refused, node
from tests.e2e.test_bridging import Office
from tests.waiting import wait_for

FORWARD_SET = "ivr/ivr-call_forwarding_has_been_set.wav"
FORWARD_CANCELLED = "ivr/ivr-call_forwarding_has_been_cancelled.wav"


@pytest.fixture
def office(stack, store, account) -> Office:
    return Office(stack, store, account)


def from_phone(office: Office, device_id: str, owner_id: str | None) -> dict[str, str]:
    variables = {
        **office.account.variables,
        "ecallmgr_Authorizing-ID": device_id,
        "ecallmgr_Authorizing-Type": "device",
    }
    if owner_id:
        variables["ecallmgr_Owner-ID"] = owner_id
    return variables


def dial(office: Office, number: str, variables: dict[str, str], script: list | None = None):
    call = office.stack.emulator.place_call(number, variables=variables, script=script or [])
    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    return call


def doc(office: Office, doc_id: str) -> dict[str, Any]:
    return office.store.get(account_db(office.account.id), doc_id)


def bridges(call) -> list[str]:
    return [c.args for c in call.commands if c.app == "bridge"]


def test_given_dnd_feature_codes_then_the_user_is_not_rung_until_it_is_turned_off(
    office: Office, account
):
    alice = office.user("Alice")
    phone = office.phone("1101", owner=alice)
    office.far_end("1101", answer_after=0.2, hangup_after=0.3)
    account.callflow(["*78"], node("do_not_disturb", {"action": "activate"}))
    account.callflow(["*79"], node("do_not_disturb", {"action": "deactivate"}))
    account.callflow(["2101"], node("user", {"id": alice}, then=node("play", {"id": TONE})))
    alices_phone = from_phone(office, phone, alice)

    activated = dial(office, "*78", alices_phone)
    assert ("playback", "ivr/ivr-dnd_activated.wav") in activated.applications
    assert doc(office, alice)["do_not_disturb"]["enabled"] is True
    not_rung = dial(office, "2101", account.variables)
    assert bridges(not_rung) == []
    assert [c.args for c in not_rung.commands if c.app == "playback"] == [TONE]

    deactivated = dial(office, "*79", alices_phone)
    assert ("playback", "ivr/ivr-dnd_cancelled.wav") in deactivated.applications
    assert doc(office, alice)["do_not_disturb"]["enabled"] is False
    rung = dial(office, "2101", account.variables)
    assert len(bridges(rung)) == 1 and "1101@" in bridges(rung)[0]


def test_given_a_dnd_toggle_naming_a_device_then_that_phone_alone_is_not_rung(
    office: Office, account
):
    phone = office.phone("1102")
    office.far_end("1102", answer_after=0.2, hangup_after=0.3)
    account.callflow(["*76"], node("do_not_disturb", {"action": "toggle", "id": phone}))
    account.callflow(["2102"], node("device", {"id": phone}, then=node("play", {"id": TONE})))

    dial(office, "*76", account.variables)
    assert doc(office, phone)["do_not_disturb"]["enabled"] is True
    assert bridges(dial(office, "2102", account.variables)) == []
    dial(office, "*76", account.variables)
    assert doc(office, phone)["do_not_disturb"]["enabled"] is False
    assert len(bridges(dial(office, "2102", account.variables))) == 1


def test_given_dnd_from_a_caller_without_a_phone_then_the_flow_stops(office: Office, account):
    account.callflow(["*78"], node("do_not_disturb", {"action": "activate"}, then=node("noop")))

    call = dial(office, "*78", account.variables)

    assert [c.app for c in call.commands if c.kind == "execute"] == []
    notes = [e.get("note") for e in account.wait_cdr(call.uuid)["trace"]]
    assert "no user or device to change" in notes


def test_given_call_forward_codes_then_the_user_rings_the_forward_number_until_it_is_cancelled(
    office: Office, account
):
    bob = office.user("Bob")
    first, second = office.phone("1103", owner=bob), office.phone("1104", owner=bob)
    for phone in ("1103", "1104"):
        office.far_end(phone, answer_after=0.2, hangup_after=0.3)
    activate = node("call_forward", {"action": "activate"})
    account.callflows.create(account.id, {"patterns": [r"^\*72([0-9]+)$"], "flow": activate})
    account.callflow(["*73"], node("call_forward", {"action": "deactivate"}))
    account.callflow(["2103"], node("user", {"id": bob, "timeout": 5}))
    bobs_phone = from_phone(office, first, bob)

    activated = dial(office, "*725550100", bobs_phone)
    assert ("playback", FORWARD_SET) in activated.applications
    assert ("say", "en name_spelled pronounced 5550100") in activated.applications
    assert doc(office, bob)["call_forward"] == {"enabled": True, "number": "5550100"}
    forwarded = dial(office, "2103", account.variables, [s.on_app("bridge").wait(2).hangup()])
    [bridge] = bridges(forwarded)
    assert bridge.count("loopback/5550100/context_2") == 1  # once for the user, not per phone
    assert "1103@" not in bridge and "1104@" not in bridge
    assert second  # both phones are Bob's

    cancelled = dial(office, "*73", bobs_phone)
    assert ("playback", FORWARD_CANCELLED) in cancelled.applications
    assert doc(office, bob)["call_forward"]["enabled"] is False
    [bridge] = bridges(dial(office, "2103", account.variables))
    assert "1103@" in bridge and "1104@" in bridge and "loopback" not in bridge


def test_given_activate_without_a_number_then_the_caller_types_it_and_update_and_toggle_follow(
    office: Office, account
):
    phone = office.phone("1105")
    account.callflow(["*72"], node("call_forward", {"action": "activate"}))
    account.callflow(["*56"], node("call_forward", {"action": "update"}))
    account.callflow(["*74"], node("call_forward", {"action": "toggle"}))
    caller = from_phone(office, phone, None)

    dial(office, "*72", caller, [s.on_app("play_and_get_digits").wait(0.5).press("2001#")])
    assert doc(office, phone)["call_forward"] == {"enabled": True, "number": "2001"}
    dial(office, "*56", caller, [s.on_app("play_and_get_digits").wait(0.5).press("2002#")])
    assert doc(office, phone)["call_forward"] == {"enabled": True, "number": "2002"}
    dial(office, "*74", caller)
    assert doc(office, phone)["call_forward"] == {"enabled": False, "number": "2002"}
    toggled = dial(office, "*74", caller)
    assert doc(office, phone)["call_forward"] == {"enabled": True, "number": "2002"}
    assert ("say", "en name_spelled pronounced 2002") in toggled.applications


def test_given_the_call_forward_menu_then_1_toggles_and_silence_ends_it(office: Office, account):
    phone = office.phone("1106")
    account.callflow(["*71"], node("call_forward", {"action": "menu"}))
    presses = [s.on_app("play_and_get_digits", 1).wait(0.5).press("2")]
    presses.append(s.on_app("play_and_get_digits", 2).wait(0.5).press("3001#"))
    presses.append(s.on_app("play_and_get_digits", 3).wait(0.5).press("1"))

    dial(office, "*71", from_phone(office, phone, None), presses)

    assert doc(office, phone)["call_forward"] == {"enabled": True, "number": "3001"}


@pytest.mark.parametrize(
    ("module", "data", "field"),
    [
        ("call_forward", {"action": "forward"}, "action"),
        ("do_not_disturb", {"action": "menu"}, "action"),
        ("do_not_disturb", {"id": ""}, "id"),
    ],
)
def test_given_bad_data_when_saved_then_the_callflow_is_refused(account, module, data, field):
    assert_refused(account, "7599", node(module, data), field)


def test_given_call_waiting_codes_then_the_phone_or_the_user_document_changes(
    office: Office, account
):
    dana = office.user("Dana")
    phone = office.phone("1107", owner=dana)
    account.callflow(["*70"], node("call_waiting", {}))
    account.callflow(["*69"], node("call_waiting", {"action": "deactivate", "scope": "user"}))
    danas_phone = from_phone(office, phone, dana)

    first = dial(office, "*70", danas_phone)
    assert doc(office, phone)["call_waiting"]["enabled"] is False  # on unless set: toggled off
    assert [app for app, _ in first.applications] == ["answer"]  # no stock sound says it
    dial(office, "*70", danas_phone)
    assert doc(office, phone)["call_waiting"]["enabled"] is True
    dial(office, "*69", danas_phone)
    assert doc(office, dana)["call_waiting"]["enabled"] is False


def test_given_manual_presence_codes_then_the_states_are_stored(
    office: Office, account, redis_client
):
    account.callflow(
        ["*50"], node("manual_presence", {"presence_id": "lobby@office", "status": "busy"})
    )
    account.callflow(["*51"], node("manual_presence", {"presence_id": "lobby@office"}))

    dial(office, "*50", account.variables)
    namespace = office.stack.settings.namespace
    busy = wait_for(lambda: stored(redis_client, namespace, "lobby@office"), 15, "the presence")
    assert busy["state"] == "confirmed" and busy["account_id"] == account.id
    dial(office, "*51", account.variables)
    wait_for(
        lambda: stored(redis_client, namespace, "lobby@office")["state"] == "terminated",
        15,
        "idle",
    )


def test_given_ring_group_toggle_then_a_logged_out_member_is_not_rung_until_logged_in(
    office: Office, account
):
    carol = office.user("Carol")
    carols_phone, desk = office.phone("1108", owner=carol), office.phone("1109")
    for phone in ("1108", "1109"):
        office.far_end(phone, answer_after=0.2, hangup_after=0.3)
    members = [{"id": carol, "endpoint_type": "user"}, {"id": desk, "endpoint_type": "device"}]
    group = account.callflow(["2104"], node("ring_group", {"endpoints": members}))
    account.callflow(["*40"], node("ring_group_toggle", {"action": "logout", "callflow_id": group}))
    account.callflow(["*41"], node("ring_group_toggle", {"action": "login", "callflow_id": group}))
    caller = from_phone(office, carols_phone, carol)

    out = dial(office, "*40", caller)
    assert ("playback", "ivr/ivr-you_are_now_logged_out.wav") in out.applications
    assert doc(office, group)["flow"]["data"]["endpoints"][0]["disable_until"] == 66_269_664_000
    [bridge] = bridges(dial(office, "2104", account.variables))
    assert "1109@" in bridge and "1108@" not in bridge

    dial(office, "*41", caller)
    [bridge] = bridges(dial(office, "2104", account.variables))
    assert "1109@" in bridge and "1108@" in bridge
    stranger = dial(office, "*41", account.variables)
    assert ("playback", "ivr/ivr-that_was_an_invalid_entry.wav") in stranger.applications


def test_given_intercom_then_the_dialed_extension_is_paged_with_kazoos_variable(
    office: Office, account
):
    phone = office.phone("1110")
    office.far_end("1110", answer_after=0.2, hangup_after=0.3)
    intercom = node("intercom", {})
    account.callflows.create(account.id, {"patterns": [r"^\*0([0-9]+)$"], "flow": intercom})
    account.callflow(["2105"], node("device", {"id": phone}))

    paged = dial(office, "*02105", account.variables)
    nobody = dial(office, "*09999", account.variables)

    assert ("set", "ecallmgr_Auto-Answer-Suppress-Notify=true") in paged.applications
    assert len(bridges(paged)) == 1 and "1110@" in bridges(paged)[0]
    assert bridges(nobody) == []
    notes = [e.get("note") for e in account.wait_cdr(nobody.uuid)["trace"]]
    assert "9999: nothing to page" in notes
