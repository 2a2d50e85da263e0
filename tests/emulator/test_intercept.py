"""The emulator's ``intercept`` (FreeSWITCH's, from its source: no transcript has it): a
call ringing two phones is taken over by a third channel; the rung legs end with
PICKED_OFF, the caller's bridge ends with PICKED_OFF without hanging it up, and the
caller is bridged to the interceptor until one of them hangs up. A channel talking to
someone is taken out of its bridge the same way (Kazoo's cf_move): the channel it talked
to hangs up PICKED_OFF."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kazoo_tasks.esl.emulator import Emulator
from kazoo_tasks.esl.emulator.client import EslClient
from tests.emulator.calls import parked_call

RINGING = "sofia/sipinterface_1/ring1@10.0.0.1,sofia/sipinterface_1/ring2@10.0.0.2"
KAZOO_BRIDGE_VARS = "continue_on_fail=true;hangup_after_bridge=false"


def test_given_a_ringing_call_when_intercepted_then_the_caller_is_bridged_to_the_interceptor(
    park_emulator: Emulator, esl: Callable[..., EslClient]
):
    park_emulator.set_endpoint("sofia/*/ring*@*", no_answer=True)
    client = esl("ALL")
    caller = parked_call(park_emulator, "2000")
    client.api(f"uuid_setvar_multi {caller.uuid} {KAZOO_BRIDGE_VARS}")
    client.execute(caller.uuid, "bridge", RINGING)
    legs = [caller.wait_for_leg(1), caller.wait_for_leg(2)]
    for leg in legs:
        leg.wait_for_event("CHANNEL_PROGRESS")
    picker = parked_call(park_emulator, "2001")

    client.execute(picker.uuid, "intercept", caller.uuid)

    assert sorted(leg.wait_hangup() for leg in legs) == ["PICKED_OFF", "PICKED_OFF"]
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", uuid_=caller.uuid, timeout=5)
    assert done.headers["Application"] == "bridge"
    assert done.headers["variable_originate_disposition"] == "PICKED_OFF"
    bridged = client.wait_event("CHANNEL_BRIDGE", uuid_=picker.uuid, timeout=5)
    assert bridged.headers["Other-Leg-Unique-ID"] == caller.uuid
    assert caller.is_up and picker.is_up
    assert caller.event_headers("CHANNEL_ANSWER") and picker.event_headers("CHANNEL_ANSWER")
    picker.hangup()
    caller.wait_hangup()
    assert park_emulator.live_channels == 0


def test_given_an_unknown_uuid_then_the_intercept_ends_at_once(
    park_emulator: Emulator, esl: Callable[..., EslClient]
):
    client = esl("CHANNEL_EXECUTE_COMPLETE")
    picker = parked_call(park_emulator, "2001")

    client.execute(picker.uuid, "intercept", "no-such-uuid")

    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", uuid_=picker.uuid, timeout=5)
    assert done.headers["Application"] == "intercept"
    assert not picker.event_headers("CHANNEL_ANSWER")
    picker.hangup()


def test_given_intercept_unanswered_only_when_the_target_is_answered_then_nothing_happens(
    park_emulator: Emulator, esl: Callable[..., EslClient]
):
    client = esl("CHANNEL_EXECUTE_COMPLETE")
    target = parked_call(park_emulator, "2000")
    client.api(f"uuid_answer {target.uuid}")
    picker = parked_call(park_emulator, "2001")
    client.api(f"uuid_setvar {picker.uuid} intercept_unanswered_only true")

    client.execute(picker.uuid, "intercept", target.uuid)

    client.wait_event("CHANNEL_EXECUTE_COMPLETE", uuid_=picker.uuid, timeout=5)
    assert not picker.event_headers("CHANNEL_BRIDGE")
    target.hangup()
    picker.hangup()


def test_given_a_uuid_bridged_pair_when_one_is_intercepted_with_bleg_then_it_talks_to_the_picker(
    park_emulator: Emulator, esl: Callable[..., EslClient]
):
    client = esl("CHANNEL_EXECUTE_COMPLETE", "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE")
    first, second = parked_call(park_emulator, "2000"), parked_call(park_emulator, "2002")
    client.api(f"uuid_bridge {first.uuid} {second.uuid}")
    client.wait_event("CHANNEL_BRIDGE", uuid_=first.uuid, timeout=5)
    picker = parked_call(park_emulator, "2001")

    client.execute(picker.uuid, "intercept", f"-bleg {first.uuid}")

    assert first.wait_hangup() == "PICKED_OFF"
    client.wait_event("CHANNEL_UNBRIDGE", uuid_=first.uuid, timeout=5)
    bridged = client.wait_event("CHANNEL_BRIDGE", uuid_=picker.uuid, timeout=5)
    assert bridged.headers["Other-Leg-Unique-ID"] == second.uuid
    assert second.is_up and picker.is_up
    picker.hangup()
    assert second.wait_hangup() == "NORMAL_CLEARING"
    assert park_emulator.live_channels == 0


@pytest.mark.parametrize("taken", ["callee", "caller"])
def test_given_a_bridge_that_answered_when_one_side_is_intercepted_then_the_other_is_picked_off(
    park_emulator: Emulator, esl: Callable[..., EslClient], taken: str
):
    """Kazoo's cf_move: the party talking to the phone left is taken to the picker; the
    phone left hangs up PICKED_OFF; the bridge's caller is not hung up when it is taken
    (hangup_after_bridge does not apply to a channel intercept parks)."""
    park_emulator.set_endpoint("sofia/*/desk@*", answer_after=0.1)
    client = esl("ALL")
    caller = parked_call(park_emulator, "2000")
    client.api(f"uuid_setvar_multi {caller.uuid} continue_on_fail=true;hangup_after_bridge=true")
    client.execute(caller.uuid, "bridge", "sofia/sipinterface_1/desk@10.0.0.1")
    callee = caller.wait_for_leg(1)
    client.wait_event("CHANNEL_BRIDGE", uuid_=caller.uuid, timeout=5)
    target, left = (callee, caller) if taken == "callee" else (caller, callee)
    picker = parked_call(park_emulator, "2001")

    client.execute(picker.uuid, "intercept", target.uuid)

    assert left.wait_hangup() == "PICKED_OFF"
    bridged = client.wait_event("CHANNEL_BRIDGE", uuid_=picker.uuid, timeout=5)
    assert bridged.headers["Other-Leg-Unique-ID"] == target.uuid
    assert target.is_up and picker.is_up
    picker.hangup()
    assert target.wait_hangup() == "NORMAL_CLEARING"
    assert park_emulator.live_channels == 0
