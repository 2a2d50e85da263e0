"""``disa`` on the whole pipeline: a caller from outside types the PIN (a wrong one first),
hears dial tone, dials a number, and goes out through the account's carrier with the
account's caller id; three wrong PINs end the call."""

from __future__ import annotations

from api.documents import DocumentService
from api.resources.resource import SPEC as RESOURCES
from kazoo_tasks.docstore import ACCOUNTS_DB, account_db
from kazoo_tasks.esl.emulator import script as s
from tests.e2e.conftest import node

CARRIER = "gw.disa-carrier.test"


def typed(nth: int, digits: str) -> s.Step:
    """The caller types ``digits`` at the ``nth`` digit collection."""
    return s.on_app("play_and_get_digits", nth).wait(0.2).press(digits)


def collections(call) -> list[str]:
    return [a for app, a in call.applications if app == "play_and_get_digits"]


def test_given_the_pin_then_the_number_dialed_goes_out_through_the_carrier_as_the_account(
    stack, store, account
):
    for db in (ACCOUNTS_DB, account_db(account.id)):
        doc = store.get(db, account.id)
        caller_id = {"external": {"name": "Example Co", "number": "+14155559000"}}
        store.save(db, {**doc, "caller_id": caller_id})
    DocumentService(store, RESOURCES).create(
        account.id,
        {"name": "Carrier", "rules": ["^\\+1(\\d{10})$"], "gateways": [{"server": CARRIER}]},
    )
    stack.emulator.set_endpoint(f"sofia/*/sip:*@{CARRIER}", answer_after=0.1, hangup_after=0.3)
    account.callflow(["no_match"], node("resources"))
    account.callflow(["7500"], node("disa", {"pin": "1234"}))

    call = stack.emulator.place_call(
        "7500",
        caller_id_number="+13125550100",
        variables=account.variables,
        script=[typed(1, "99#"), typed(2, "1234#"), typed(3, "4155550123#")],
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    asked = collections(call)
    assert len(asked) == 3
    assert "ivr-please_enter_pin_followed_by_pound" in asked[0]
    assert "%(10000,0,350,440)" in asked[2]  # dial tone while the number is typed
    assert ("playback", "voicemail/vm-fail_auth.wav") in call.applications
    [dial] = [c.args for c in call.commands if c.app == "bridge"]
    assert dial.endswith(f"sip:4155550123@{CARRIER}")
    assert "origination_caller_id_number=+14155559000" in dial
    cdr = account.wait_cdr(call.uuid)
    assert any(e.get("note") == "Collect: done ****" for e in cdr["trace"])  # the PIN hidden


def test_given_three_wrong_pins_then_goodbye_and_the_call_ends(stack, account):
    account.callflow(["7501"], node("disa", {"pin": "1234"}, node("play", {"id": "x"})))

    call = stack.emulator.place_call(
        "7501",
        variables=account.variables,
        script=[typed(1, "1#"), typed(2, "2#"), typed(3, "3#")],
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert len(collections(call)) == 3
    assert call.applications[-1] == ("playback", "voicemail/vm-goodbye.wav")
    assert not [c for c in call.commands if c.app == "bridge"]
