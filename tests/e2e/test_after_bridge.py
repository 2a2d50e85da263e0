"""after_bridge on the whole pipeline: what the caller gets when the phone they were
bridged to hangs up first (park, transfer, hangup), and bad data refused at save time."""

from __future__ import annotations

import pytest

from kazoo_tasks.esl.emulator import script as s
from tests.e2e.conftest import TONE, assert_refused, node
from tests.e2e.test_bridging import Office


@pytest.fixture
def phones(stack, store, account) -> Office:
    return Office(stack, store, account)


def _ring_then(phones: Office, after: dict | None) -> dict:
    device_id = phones.phone("1201")
    phones.far_end("1201", answer_after=0.2, hangup_after=0.5)
    ring = node("device", {"id": device_id}, then=node("play", {"id": TONE}))
    return ring if after is None else node("after_bridge", after, then=ring)


def test_given_after_bridge_transfer_when_the_phone_hangs_up_then_the_caller_goes_to_the_number(
    phones: Office, account
):
    account.callflow(["5250"], node("play", {"id": TONE}, then=node("hangup")))
    call = phones.call("5150", _ring_then(phones, {"action": "transfer", "data": "5250"}))

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    apps = [(c.app, c.args) for c in call.commands if c.kind == "execute"]
    assert apps[-2:] == [("transfer", "5250 XML context_2"), ("playback", TONE)]
    cdr = account.wait_cdr(call.uuid)
    notes = [e.get("note") or "" for e in cdr["trace"]]
    assert "after a bridge: transfer 5250" in notes
    assert "parked again for 5250" in notes


def test_given_after_bridge_park_when_the_phone_hangs_up_then_the_caller_stays_until_they_hang_up(
    phones: Office, account
):
    flow = _ring_then(phones, {"action": "park", "data": True})
    account.callflow(["5151"], flow)
    call = phones.stack.emulator.place_call(
        "5151",
        variables=account.variables,
        script=[s.on_event("CHANNEL_UNBRIDGE").wait(100).hangup("NORMAL_CLEARING")],
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    apps = [c.app for c in call.commands if c.kind == "execute"]
    assert apps[-1] == "bridge"  # nothing after it: neither the flow's playback nor a hangup
    assert not [c for c in call.commands if c.kind == "hangup"]  # the caller left, not us
    notes = [e.get("note") or "" for e in account.wait_cdr(call.uuid)["trace"]]
    assert "after the bridge: park" in notes


@pytest.mark.parametrize(
    ("after", "resumes"),
    [
        ({"action": "hangup", "data": "true"}, False),
        ({"action": "park", "data": False}, True),
        (None, True),
    ],
    ids=["hangup-ends-the-call", "park-false-is-the-default", "no-after-bridge"],
)
def test_given_a_branch_when_the_phone_hangs_up_then_hangup_ends_the_call_else_the_branch_resumes(
    phones: Office, account, after, resumes
):
    branch_id = account.callflow(["5153"], _ring_then(phones, after))
    resumed = node("play", {"id": "tone_stream://%(100,0,350)"})
    call = phones.call("5152", node("callflow", {"id": branch_id}, then=resumed))

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    apps = [c.app for c in call.commands if c.kind == "execute"]
    assert ("playback" in apps) is resumes  # the flow that branched resumes at its `_`
    assert TONE not in [c.args for c in call.commands]  # the rung flow's own `_`: never


def test_given_bad_after_bridge_data_when_saved_then_it_is_refused(account):
    assert_refused(account, "5153", node("after_bridge", {"action": "dance"}), "action")
    assert_refused(account, "5153", node("after_bridge", {"data": 12}), "data")
    assert_refused(
        account, "5153", node("after_bridge", {"action": "transfer", "data": "5\nhangup"}),
        "data",
    )  # fmt: skip
