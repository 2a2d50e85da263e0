"""Bridging as the engine drives it: dial-string shapes, ring groups, ring-back and early
media, the B legs' link to the caller, and what a bridge leaves behind.

The transcripts pin the bridge application's events against a real FreeSWITCH; these tests
pin the behaviours around them that a controller relies on, over ESL as ecallmgr would.
"""

from __future__ import annotations

from kazoo_tasks.esl.emulator import Call, Emulator
from kazoo_tasks.esl.emulator.client import EslClient
from kazoo_tasks.esl.frames import PlainEvent
from tests.emulator.calls import parked_call

KAZOO_BRIDGE_VARS = "continue_on_fail=true;hangup_after_bridge=false"
"""What a Kazoo controller sets on the caller before a bridge."""


def answered_call(
    emulator: Emulator, client: EslClient, variables: str = KAZOO_BRIDGE_VARS
) -> Call:
    call = parked_call(emulator, "2000")
    assert client.api(f"uuid_answer {call.uuid}") == "+OK\n"
    assert client.api(f"uuid_setvar_multi {call.uuid} {variables}") == "+OK\n"
    return call


def bridge_until(client: EslClient, call: Call, dial: str, event: str) -> list[PlainEvent]:
    """Execute ``bridge dial`` and collect every event until the caller's ``event``."""
    client.execute(call.uuid, "bridge", dial, event_uuid="bridge-1")
    seen: list[PlainEvent] = []
    while True:
        got = client.next_event(5)
        assert got is not None, (
            f"no {event}; got {[(e.name, e.headers.get('Unique-ID')) for e in seen]}"
        )
        seen.append(got)
        if got.name == event and got.headers.get("Unique-ID") == call.uuid:
            if event != "CHANNEL_EXECUTE_COMPLETE" or got.headers.get("Application") == "bridge":
                return seen


def names_of(events: list[PlainEvent], uuid_: str) -> list[str]:
    return [e.name for e in events if e.headers.get("Unique-ID") == uuid_]


# -- outcomes ----------------------------------------------------------------------------
def test_given_a_ring_group_when_one_answers_one_refuses_and_one_rings_then_the_answer_wins(
    park_emulator: Emulator, esl
):
    park_emulator.set_endpoint("sofia/*/alice@*", answer_after=(0.5, 2.0))
    park_emulator.set_endpoint("sofia/*/bob@*", reject=486)
    park_emulator.set_endpoint("sofia/*/carol@*", no_answer=True)
    client = esl("ALL")
    call = answered_call(park_emulator, client)

    events = bridge_until(
        client,
        call,
        "sofia/sipinterface_1/alice@10.0.0.1:5060,sofia/sipinterface_1/bob@10.0.0.2:5060,"
        "sofia/sipinterface_1/carol@10.0.0.3:5060",
        "CHANNEL_BRIDGE",
    )
    bridge = events[-1]
    legs = {leg.destination: leg for leg in call.legs}

    assert bridge.headers["Other-Leg-Destination-Number"] == "alice"
    assert legs["bob"].wait_hangup() == "USER_BUSY"
    assert legs["carol"].wait_hangup() == "LOSE_RACE"
    assert "CHANNEL_DESTROY" in names_of(events, legs["carol"].uuid)  # gone before the bridge
    causes = bridge.headers["variable_originate_causes"]
    assert causes.startswith("ARRAY::") and causes.count("|:") == 2
    assert f"{legs['bob'].uuid};USER_BUSY" in causes and f"{legs['alice'].uuid};NONE" in causes
    assert bridge.headers["variable_DIALSTATUS"] == "SUCCESS"
    assert bridge.headers["variable_last_bridge_hangup_cause"] == "LOSE_RACE"  # the last to fail


def test_given_a_sequential_dial_string_when_the_first_leg_times_out_then_the_next_one_rings(
    park_emulator: Emulator, esl
):
    park_emulator.set_endpoint("sofia/*/first@*", no_answer=True)
    park_emulator.set_endpoint("sofia/*/second@*", answer_after=1)
    client = esl("ALL")
    call = answered_call(park_emulator, client)

    events = bridge_until(
        client,
        call,
        "[leg_timeout=2]sofia/sipinterface_1/first@10.0.0.1|sofia/sipinterface_1/second@10.0.0.2",
        "CHANNEL_BRIDGE",
    )
    first, second = call.legs

    assert first.wait_hangup() == "ALLOTTED_TIMEOUT"
    assert events[-1].headers["Other-Leg-Unique-ID"] == second.uuid
    assert events[-1].headers["variable_last_bridge_hangup_cause"] == "ALLOTTED_TIMEOUT"
    first_gone = next(
        i
        for i, e in enumerate(events)
        if e.name == "CHANNEL_DESTROY" and e.headers["Unique-ID"] == first.uuid
    )
    second_created = next(
        i
        for i, e in enumerate(events)
        if e.name == "CHANNEL_OUTGOING" and e.headers["Unique-ID"] == second.uuid
    )
    assert first_gone < second_created  # one group after the other


def test_given_call_timeout_when_nobody_answers_then_the_bridge_fails_with_no_answer(
    park_emulator: Emulator, esl
):
    park_emulator.set_endpoint("sofia/*/nobody@*", no_answer=True)
    client = esl("ALL")
    call = answered_call(park_emulator, client, KAZOO_BRIDGE_VARS + ";call_timeout=2")

    done = bridge_until(
        client, call, "sofia/sipinterface_1/nobody@10.0.0.1", "CHANNEL_EXECUTE_COMPLETE"
    )[-1]

    assert done.headers["variable_originate_disposition"] == "NO_ANSWER"
    assert done.headers["variable_DIALSTATUS"] == "NOANSWER"
    assert call.legs[0].wait_hangup() == "NO_ANSWER"
    assert call.is_up  # continue_on_fail: the caller is still there, parked


def test_given_an_error_endpoint_then_no_leg_is_created_and_the_cause_is_its_own(
    park_emulator: Emulator, esl
):
    client = esl("ALL")
    call = answered_call(park_emulator, client)

    events = bridge_until(client, call, "error/user_busy", "CHANNEL_EXECUTE_COMPLETE")

    done = events[-1]
    assert done.headers["variable_originate_disposition"] == "USER_BUSY"
    assert done.headers["variable_DIALSTATUS"] == "BUSY"
    assert done.headers["variable_originate_failed_cause"] == "USER_BUSY"
    assert "CHANNEL_OUTGOING" not in [e.name for e in events]
    assert call.legs == []


def test_given_a_caller_hanging_up_while_legs_ring_then_every_leg_is_cancelled(
    park_emulator: Emulator, esl
):
    park_emulator.set_endpoint("sofia/*/ring*@*", no_answer=True)
    client = esl("ALL")
    call = answered_call(park_emulator, client)
    client.execute(
        call.uuid,
        "bridge",
        "sofia/sipinterface_1/ring1@10.0.0.1,sofia/sipinterface_1/ring2@10.0.0.2",
    )
    legs = [call.wait_for_leg(1), call.wait_for_leg(2)]
    for leg in legs:
        leg.wait_for_event("CHANNEL_PROGRESS")

    client.api(f"uuid_kill {call.uuid}")

    assert [leg.wait_hangup() for leg in legs] == ["ORIGINATOR_CANCEL", "ORIGINATOR_CANCEL"]
    done = call.event_headers("CHANNEL_EXECUTE_COMPLETE")[-1]
    assert done["Application"] == "park"
    call.wait_hangup()
    assert park_emulator.live_channels == 0


# -- after the bridge ---------------------------------------------------------------------
def test_given_hangup_after_bridge_when_the_far_end_hangs_up_then_the_caller_hangs_up_too(
    park_emulator: Emulator, esl
):
    park_emulator.set_endpoint("sofia/*/short@*", answer_after=0.5, hangup_after=1)
    client = esl("ALL")
    call = answered_call(park_emulator, client, "continue_on_fail=true;hangup_after_bridge=true")

    bridge_until(client, call, "sofia/sipinterface_1/short@10.0.0.1", "CHANNEL_EXECUTE_COMPLETE")

    assert call.wait_hangup() == "NORMAL_CLEARING"
    assert (
        client.wait_event("CHANNEL_HANGUP_COMPLETE", uuid_=call.uuid).headers[
            "variable_last_bridge_hangup_cause"
        ]
        == "NORMAL_CLEARING"
    )


def test_given_no_hangup_after_bridge_when_the_far_end_hangs_up_then_the_caller_goes_on(
    park_emulator: Emulator, esl
):
    park_emulator.set_endpoint("sofia/*/short@*", answer_after=0.5, hangup_after=1)
    client = esl("ALL")
    call = answered_call(park_emulator, client)

    done = bridge_until(
        client, call, "sofia/sipinterface_1/short@10.0.0.1", "CHANNEL_EXECUTE_COMPLETE"
    )[-1]
    client.execute(call.uuid, "playback", "tone_stream://%(100,0,440)", event_uuid="next")
    after = client.wait_event("CHANNEL_EXECUTE_COMPLETE", uuid_=call.uuid)

    assert done.headers["variable_last_bridge_hangup_cause"] == "NORMAL_CLEARING"
    assert after.headers["Application-UUID"] == "next"
    assert call.is_up


# -- ring-back and early media ------------------------------------------------------------
def test_given_an_unanswered_caller_when_a_leg_rings_then_the_caller_hears_180(
    park_emulator: Emulator, esl
):
    park_emulator.set_endpoint("sofia/*/phone@*", answer_after=1)
    client = esl("ALL")
    call = parked_call(park_emulator, "2000")

    events = bridge_until(client, call, "sofia/sipinterface_1/phone@10.0.0.1", "CHANNEL_BRIDGE")
    mine = names_of(events, call.uuid)

    assert (
        mine.index("CHANNEL_PROGRESS") < mine.index("CHANNEL_ANSWER") < mine.index("CHANNEL_BRIDGE")
    )
    assert "CHANNEL_PROGRESS_MEDIA" not in mine


def test_given_ringback_when_a_leg_rings_then_the_caller_gets_early_media_instead(
    park_emulator: Emulator, esl
):
    park_emulator.set_endpoint("sofia/*/phone@*", answer_after=1)
    client = esl("ALL")
    call = parked_call(park_emulator, "2000", variables={"ringback": "%(2000,4000,440,480)"})

    events = bridge_until(client, call, "sofia/sipinterface_1/phone@10.0.0.1", "CHANNEL_BRIDGE")
    mine = names_of(events, call.uuid)
    leg = call.legs[0]

    assert "CHANNEL_PROGRESS" not in mine
    assert mine.index("CHANNEL_PROGRESS_MEDIA") < mine.index("CHANNEL_ANSWER")
    progress_media = next(i for i, e in enumerate(events) if e.name == "CHANNEL_PROGRESS_MEDIA")
    leg_progress = next(
        i
        for i, e in enumerate(events)
        if e.name == "CHANNEL_PROGRESS" and e.headers.get("Unique-ID") == leg.uuid
    )
    assert leg_progress < progress_media


def test_given_instant_ringback_then_the_caller_gets_early_media_before_any_leg_rings(
    park_emulator: Emulator, esl
):
    park_emulator.set_endpoint("sofia/*/busy@*", reject=486)
    client = esl("ALL")
    call = parked_call(
        park_emulator,
        "2000",
        variables={"ringback": "%(2000,4000,440,480)", "continue_on_fail": "true"},
    )

    events = bridge_until(
        client,
        call,
        "{instant_ringback=true}sofia/sipinterface_1/busy@10.0.0.1",
        "CHANNEL_EXECUTE_COMPLETE",
    )

    assert "CHANNEL_PROGRESS_MEDIA" in names_of(events, call.uuid)
    assert events[-1].headers["variable_DIALSTATUS"] == "BUSY"
    assert events[-1].headers["variable_sip_invite_failure_status"] == "486"


def test_given_no_instant_ringback_when_the_leg_refuses_at_once_then_the_caller_hears_nothing(
    park_emulator: Emulator, esl
):
    park_emulator.set_endpoint("sofia/*/busy@*", reject=486)
    client = esl("ALL")
    call = parked_call(
        park_emulator,
        "2000",
        variables={"ringback": "%(2000,4000,440,480)", "continue_on_fail": "true"},
    )

    events = bridge_until(
        client, call, "sofia/sipinterface_1/busy@10.0.0.1", "CHANNEL_EXECUTE_COMPLETE"
    )

    assert not {"CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA"} & set(names_of(events, call.uuid))


def test_given_a_leg_with_early_media_then_the_caller_gets_it_unless_ignore_early_media(
    park_emulator: Emulator, esl
):
    park_emulator.set_endpoint("sofia/*/carrier@*", answer_after=1, early_media=True)
    client = esl("ALL")
    heard = parked_call(park_emulator, "2000")
    ignored = parked_call(park_emulator, "2001", variables={"ignore_early_media": "true"})

    with_media = bridge_until(
        client, heard, "sofia/sipinterface_1/carrier@10.0.0.1", "CHANNEL_BRIDGE"
    )
    without = bridge_until(
        client, ignored, "sofia/sipinterface_1/carrier@10.0.0.1", "CHANNEL_BRIDGE"
    )

    assert "CHANNEL_PROGRESS_MEDIA" in names_of(with_media, heard.legs[0].uuid)
    assert "CHANNEL_PROGRESS_MEDIA" in names_of(with_media, heard.uuid)
    assert "CHANNEL_PROGRESS_MEDIA" not in names_of(without, ignored.uuid)
    assert "CHANNEL_PROGRESS" in names_of(without, ignored.uuid)
    leg_create = next(
        e
        for e in without
        if e.name == "CHANNEL_CREATE" and e.headers["Unique-ID"] == ignored.legs[0].uuid
    )
    assert leg_create.headers["variable_ignore_early_media"] == "true"
    assert leg_create.headers["variable_originate_early_media"] == "false"


# -- the B legs' link to the caller -------------------------------------------------------
def test_given_dial_string_variables_then_the_b_leg_carries_them_and_the_caller_linkage(
    park_emulator: Emulator, esl
):
    park_emulator.set_endpoint("sofia/*/1001@*", answer_after=0.5)
    client = esl("ALL")
    call = answered_call(park_emulator, client)
    b_uuid = "5f0a3a53-3b0e-4d6c-9f1e-0d2b5c6e7f80"
    client.api(f"uuid_setvar {call.uuid} ecallmgr_Account-ID a1b2")
    client.execute(call.uuid, "export", "ecallmgr_Account-ID=a1b2")
    client.wait_event("CHANNEL_EXECUTE_COMPLETE", uuid_=call.uuid)

    events = bridge_until(
        client,
        call,
        f"{{origination_uuid={b_uuid},ecallmgr_Call-Interaction-ID=63870000}}"
        "[ecallmgr_Endpoint-ID=dev1]sofia/sipinterface_1/1001@10.0.0.7:5062",
        "CHANNEL_BRIDGE",
    )
    b_events = [e for e in events if e.headers.get("Unique-ID") == b_uuid]
    create = next(e for e in b_events if e.name == "CHANNEL_CREATE")
    update = client.wait_event("CALL_UPDATE", uuid_=b_uuid)

    assert b_events[0].name == "CHANNEL_OUTGOING"
    assert all(e.headers["Other-Leg-Unique-ID"] == call.uuid for e in b_events)
    assert all(e.headers["Channel-Call-UUID"] == call.uuid for e in b_events[1:])
    assert create.headers["variable_ecallmgr_Call-Interaction-ID"] == "63870000"
    assert create.headers["variable_ecallmgr_Endpoint-ID"] == "dev1"
    assert create.headers["variable_ecallmgr_Account-ID"] == "a1b2"  # exported by the caller
    assert create.headers["variable_originating_leg_uuid"] == call.uuid
    assert create.headers["variable_signal_bond"] == call.uuid
    assert update.headers["variable_bridge_uuid"] == call.uuid
    assert events[-1].headers["variable_originated_legs"].startswith(f"{b_uuid};")


def test_given_a_registered_user_then_user_endpoint_rings_its_contact(park_emulator: Emulator, esl):
    park_emulator.register("1001", realm="demo.local", contact_ip="10.0.0.5", contact_port=5070)
    client = esl("ALL")
    call = answered_call(park_emulator, client)

    events = bridge_until(client, call, "user/1001@demo.local", "CHANNEL_BRIDGE")
    leg = call.legs[0]
    create = next(
        e for e in events if e.name == "CHANNEL_CREATE" and e.headers["Unique-ID"] == leg.uuid
    )

    assert create.headers["Channel-Name"] == "sofia/sipinterface_1/1001@10.0.0.5:5070"
    assert create.headers["variable_sip_req_uri"] == "1001@10.0.0.5:5070"
    assert create.headers["variable_dialed_user"] == "1001"
    assert create.headers["variable_dialed_domain"] == "demo.local"
    assert create.headers["variable_presence_id"] == "1001@demo.local"


def test_given_an_unregistered_user_then_the_bridge_fails_with_user_not_registered(
    park_emulator: Emulator, esl
):
    client = esl("ALL")
    call = answered_call(park_emulator, client)

    done = bridge_until(client, call, "user/1002@demo.local", "CHANNEL_EXECUTE_COMPLETE")[-1]

    assert done.headers["variable_originate_disposition"] == "USER_NOT_REGISTERED"
    assert done.headers["variable_DIALSTATUS"] == "USER_NOT_REGISTERED"
    assert call.legs == [] and call.is_up


def test_given_a_registered_contact_then_sofia_dial_string_of_the_contact_rings_it(
    park_emulator: Emulator, esl
):
    park_emulator.register("1003", realm="demo.local", contact_ip="10.0.0.6", contact_port=5080)
    client = esl("ALL")
    call = answered_call(park_emulator, client)
    contact = client.api("sofia_contact 1003@demo.local")

    bridge = bridge_until(client, call, contact, "CHANNEL_BRIDGE")[-1]

    assert contact == "sofia/sipinterface_1/sip:1003@10.0.0.6:5080"
    assert bridge.headers["Other-Leg-Channel-Name"] == contact


def test_given_a_loopback_endpoint_then_the_bridge_connects_to_its_a_side(
    park_emulator: Emulator, esl
):
    client = esl("ALL")
    call = answered_call(park_emulator, client)

    bridge = bridge_until(client, call, "loopback/3000/context_2", "CHANNEL_BRIDGE")[-1]

    assert bridge.headers["Other-Leg-Channel-Name"] == "loopback/3000-a"


# -- leg_delay_start ---------------------------------------------------------------------
def test_given_a_delayed_leg_when_the_other_leg_fails_then_the_delayed_one_rings_at_once(
    park_emulator: Emulator, esl
):
    park_emulator.set_endpoint("sofia/*/busy@*", reject=486)
    park_emulator.set_endpoint("sofia/*/late@*", answer_after=0)
    client = esl("ALL")
    call = answered_call(park_emulator, client)

    bridge = bridge_until(
        client,
        call,
        "sofia/sipinterface_1/busy@10.0.0.1,[leg_delay_start=600]sofia/sipinterface_1/late@10.0.0.2",
        "CHANNEL_BRIDGE",
    )[-1]

    assert bridge.headers["Other-Leg-Destination-Number"] == "late"


def test_given_a_delayed_leg_when_another_answers_first_then_it_never_rang(
    park_emulator: Emulator, esl
):
    park_emulator.set_endpoint("sofia/*/quick@*", answer_after=1)
    park_emulator.set_endpoint("sofia/*/late@*", answer_after=0)
    client = esl("ALL")
    call = answered_call(park_emulator, client)

    events = bridge_until(
        client,
        call,
        "sofia/sipinterface_1/quick@10.0.0.1,[leg_delay_start=600]sofia/sipinterface_1/late@10.0.0.2",
        "CHANNEL_BRIDGE",
    )
    late = next(leg for leg in call.legs if leg.destination == "late")

    assert events[-1].headers["Other-Leg-Destination-Number"] == "quick"
    assert late.wait_hangup() == "LOSE_RACE"
    assert names_of(events, late.uuid)[0] == "CHANNEL_OUTGOING"
    assert "CHANNEL_PROGRESS" not in names_of(events, late.uuid)


def test_given_a_second_bridge_then_the_caller_keeps_the_legs_of_the_first_in_its_arrays(
    park_emulator: Emulator, esl
):
    park_emulator.set_endpoint("sofia/*/busy@*", reject=486)
    park_emulator.set_endpoint("sofia/*/phone@*", answer_after=0.5)
    client = esl("ALL")
    call = answered_call(park_emulator, client)

    bridge_until(client, call, "sofia/sipinterface_1/busy@10.0.0.1", "CHANNEL_EXECUTE_COMPLETE")
    bridge = bridge_until(client, call, "sofia/sipinterface_1/phone@10.0.0.2", "CHANNEL_BRIDGE")[-1]
    first, second = call.legs

    assert bridge.headers["variable_originate_causes"] == (
        f"ARRAY::{first.uuid};USER_BUSY|:{second.uuid};NONE"
    )
    assert bridge.headers["variable_originated_legs"].count("|:") == 1


def test_given_preserve_originated_vars_false_then_each_bridge_starts_its_arrays_afresh(
    park_emulator: Emulator, esl
):
    park_emulator.set_endpoint("sofia/*/busy@*", reject=486)
    park_emulator.set_endpoint("sofia/*/phone@*", answer_after=0.5)
    client = esl("ALL")
    call = answered_call(
        park_emulator, client, KAZOO_BRIDGE_VARS + ";preserve_originated_vars=false"
    )

    bridge_until(client, call, "sofia/sipinterface_1/busy@10.0.0.1", "CHANNEL_EXECUTE_COMPLETE")
    bridge = bridge_until(client, call, "sofia/sipinterface_1/phone@10.0.0.2", "CHANNEL_BRIDGE")[-1]

    assert bridge.headers["variable_originate_causes"] == f"{call.legs[1].uuid};NONE"
