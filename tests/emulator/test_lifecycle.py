"""Channel life cycles of the emulator, driven over ESL as a controller (ecallmgr) would."""

from __future__ import annotations

import json
import wave

from kazoo_tasks.esl.emulator import (
    Emulator,
    hangup_after,
    on_answer,
    on_app,
    on_first_playback_press,
    script,
)
from kazoo_tasks.esl.emulator.client import EslClient
from kazoo_tasks.events import PIPELINE_EVENTS
from tests.emulator.calls import events_until_hangup, execute_until, parked_call


def test_given_a_parked_call_when_answered_played_and_killed_then_events_follow_freeswitch_order(
    park_emulator: Emulator, esl
):
    client = esl(*PIPELINE_EVENTS)
    call = park_emulator.place_call("1000", caller_id_number="+14155550100")

    park = client.wait_event("CHANNEL_PARK", uuid_=call.uuid)
    assert client.api(f"uuid_answer {call.uuid}") == "+OK\n"
    assert (
        client.execute(
            call.uuid, "playback", "tone_stream://%(1000,0,440);loops=2", event_uuid="e-1"
        )
        == "+OK"
    )
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", uuid_=call.uuid)
    assert client.api(f"uuid_kill {call.uuid}") == "+OK\n"
    rest = events_until_hangup(client, call.uuid)

    assert park.headers["Answer-State"] == "ringing"
    assert park.headers["Channel-Call-State"] == "RINGING"
    assert done.headers["Application"] == "playback"
    assert done.headers["Application-Response"] == "FILE PLAYED"
    assert done.headers["Application-UUID"] == "e-1"
    assert done.headers["variable_playback_ms"] == "2000"
    assert [e.name for e in rest] == ["CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP_COMPLETE"]
    assert rest[0].headers["Application"] == "park"
    assert rest[-1].headers["Hangup-Cause"] == "NORMAL_CLEARING"
    assert call.wait_hangup(5) == "NORMAL_CLEARING"
    assert [(c.kind, c.app) for c in call.commands] == [
        ("api", "uuid_answer"),
        ("execute", "playback"),
        ("api", "uuid_kill"),
    ]


def test_given_events_when_fired_then_sequence_strictly_increases_and_timestamps_are_microseconds(
    park_emulator: Emulator, esl
):
    client = esl("ALL")
    call = park_emulator.place_call("1000")
    client.wait_event("CHANNEL_PARK", uuid_=call.uuid)
    client.api(f"uuid_kill {call.uuid}")
    events = events_until_hangup(client, call.uuid)

    sequences = [int(e.headers["Event-Sequence"]) for e in events]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    assert all(len(e.headers["Event-Date-Timestamp"]) == 16 for e in events)


def test_given_a_playing_call_when_it_hangs_up_then_execute_complete_comes_between_hangup_events(
    park_emulator: Emulator, esl
):
    client = esl(
        "CHANNEL_HANGUP", "CHANNEL_EXECUTE_COMPLETE", "PLAYBACK_STOP", "CHANNEL_HANGUP_COMPLETE"
    )
    call = parked_call(park_emulator, "1000")
    client.api(f"uuid_answer {call.uuid}")
    client.execute(call.uuid, "playback", "silence_stream://-1", event_uuid="forever")
    call.wait_for_event("PLAYBACK_START")

    client.sendmsg(call.uuid, [("call-command", "hangup"), ("hangup-cause", "USER_BUSY")])
    names = [
        (e.name, e.headers.get("Application", "")) for e in events_until_hangup(client, call.uuid)
    ]

    assert names == [
        ("CHANNEL_HANGUP", ""),
        ("PLAYBACK_STOP", ""),
        ("CHANNEL_EXECUTE_COMPLETE", "playback"),
        ("CHANNEL_EXECUTE_COMPLETE", "park"),
        ("CHANNEL_HANGUP_COMPLETE", ""),
    ]
    stopped = call.event_headers("CHANNEL_EXECUTE_COMPLETE")[0]
    assert stopped["Application-Response"] == "PLAYBACK ERROR"
    assert call.wait_hangup() == "USER_BUSY"


def test_given_queued_commands_when_parked_then_they_run_one_after_the_other_in_order(
    park_emulator: Emulator, esl
):
    client = esl("CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE")
    call = parked_call(park_emulator, "1000")
    for index, (app, arg) in enumerate(
        [("answer", ""), ("playback", "/a.wav"), ("set", "color=blue"), ("playback", "/b.wav")]
    ):
        client.execute(call.uuid, app, arg, event_uuid=f"q-{index}")
    seen = []
    while len(seen) < 8:
        event = client.next_event(5)
        if event.headers.get("Application") != "park":
            seen.append((event.name[8:], event.headers.get("Application-UUID")))

    assert seen == [
        ("EXECUTE", "q-0"),
        ("EXECUTE_COMPLETE", "q-0"),
        ("EXECUTE", "q-1"),
        ("EXECUTE_COMPLETE", "q-1"),
        ("EXECUTE", "q-2"),
        ("EXECUTE_COMPLETE", "q-2"),
        ("EXECUTE", "q-3"),
        ("EXECUTE_COMPLETE", "q-3"),
    ]
    assert client.api(f"uuid_getvar {call.uuid} color") == "blue"


def test_given_set_export_and_unset_then_variables_show_in_later_events(
    park_emulator: Emulator, esl
):
    client = esl("CHANNEL_EXECUTE_COMPLETE")
    call = parked_call(park_emulator, "1000", variables={"ecallmgr_Account-ID": "acc-1"})
    client.execute(call.uuid, "set", "ecallmgr_Call-Flow=${destination_number}x")
    client.execute(call.uuid, "export", "fs_shared=yes")
    client.execute(call.uuid, "multiset", "a=1 b=2")
    client.execute(call.uuid, "unset", "a")
    last = None
    for _ in range(4):
        last = client.wait_event("CHANNEL_EXECUTE_COMPLETE", uuid_=call.uuid)

    assert last.headers["variable_ecallmgr_Account-ID"] == "acc-1"
    assert last.headers["variable_ecallmgr_Call-Flow"] == "x"
    assert last.headers["variable_fs_shared"] == "yes"
    assert last.headers["variable_export_vars"] == "fs_shared"
    assert last.headers["variable_b"] == "2"
    assert "variable_a" not in last.headers


def test_given_a_caller_script_when_the_first_prompt_plays_then_the_digit_arrives_as_dtmf(
    park_emulator: Emulator, esl
):
    client = esl("DTMF")
    call = parked_call(park_emulator, "1000", script=[on_first_playback_press("1")])
    client.api(f"uuid_answer {call.uuid}")
    client.execute(call.uuid, "playback", "/prompts/menu.wav")

    dtmf = client.wait_event("DTMF", uuid_=call.uuid)

    assert dtmf.headers["DTMF-Digit"] == "1"
    assert dtmf.headers["DTMF-Source"] == "RTP"
    assert dtmf.headers["DTMF-Duration"] == "1280"


def test_given_play_and_get_digits_when_the_caller_keys_in_digits_then_the_variable_is_set(
    park_emulator: Emulator, esl
):
    client = esl("CHANNEL_EXECUTE_COMPLETE")
    caller = [on_app("play_and_get_digits").wait(0.5).press("1234#", interval=0.2)]
    call = parked_call(park_emulator, "1000", script=caller)
    client.api(f"uuid_answer {call.uuid}")
    client.execute(
        call.uuid,
        "play_and_get_digits",
        "1 6 3 50000 # /prompts/enter.wav /prompts/invalid.wav pin \\d+ 20000",
    )

    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", uuid_=call.uuid)

    assert done.headers["Application"] == "play_and_get_digits"
    assert done.headers["variable_pin"] == "1234"
    assert done.headers["variable_read_result"] == "success"
    assert done.headers["variable_read_terminator_used"] == "#"


def test_given_a_terminator_pressed_during_playback_then_playback_breaks(
    park_emulator: Emulator, esl
):
    client = esl("PLAYBACK_STOP", "CHANNEL_EXECUTE_COMPLETE")
    call = parked_call(park_emulator, "1000", script=[script.on_playback(1).wait(0.2).press("*")])
    client.api(f"uuid_answer {call.uuid}")
    client.execute(call.uuid, "playback", "local_stream://moh")

    stop = client.wait_event("PLAYBACK_STOP", uuid_=call.uuid)
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", uuid_=call.uuid)

    assert stop.headers["Playback-Status"] == "break"
    assert stop.headers["Playback-File-Type"] == "local_stream"
    assert done.headers["Application-Response"] == "FILE PLAYED"
    assert done.headers["variable_playback_terminator_used"] == "*"


def test_given_uuid_break_when_playing_then_playback_stops_with_break(park_emulator: Emulator, esl):
    client = esl("PLAYBACK_STOP")
    call = parked_call(park_emulator, "1000")
    client.execute(call.uuid, "playback", "silence_stream://-1")
    call.wait_for_event("PLAYBACK_START")

    assert client.api(f"uuid_break {call.uuid} all") == "+OK\n"

    assert client.wait_event("PLAYBACK_STOP", uuid_=call.uuid).headers["Playback-Status"] == "break"


def test_given_a_bridge_to_an_endpoint_answering_later_then_both_legs_bridge_and_unbridge(
    park_emulator: Emulator, esl
):
    park_emulator.set_endpoint("user/1001", answer_after=2.0, hangup_after=3.0)
    park_emulator.register("1001", realm="demo.local")
    client = esl(*PIPELINE_EVENTS)
    call = parked_call(park_emulator, "1000")

    client.execute(
        call.uuid,
        "bridge",
        "{origination_caller_id_name=Office}user/1001@demo.local",
        event_uuid="br-1",
    )
    bridge = client.wait_event("CHANNEL_BRIDGE", uuid_=call.uuid)
    leg = call.wait_for_leg()
    unbridge = client.wait_event("CHANNEL_UNBRIDGE", uuid_=call.uuid)
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", uuid_=call.uuid)

    assert bridge.headers["Bridge-A-Unique-ID"] == call.uuid
    assert bridge.headers["Bridge-B-Unique-ID"] == leg.uuid
    assert bridge.headers["Other-Leg-Unique-ID"] == leg.uuid
    assert bridge.headers["Other-Type"] == "originatee"
    assert bridge.headers["Channel-Name"].startswith("sofia/")
    assert bridge.headers["Answer-State"] == "answered"
    assert unbridge.headers["Bridge-B-Unique-ID"] == leg.uuid
    assert done.headers["Application"] == "bridge"
    assert done.headers["Application-UUID"] == "br-1"
    assert leg.wait_hangup() == "NORMAL_CLEARING"
    assert call.is_up  # hangup_after_bridge is not set: the caller stays
    assert "CHANNEL_ANSWER" in leg.events and leg.events[0] == "CHANNEL_OUTGOING"


def test_given_a_busy_endpoint_when_bridging_then_the_caller_is_released_with_user_busy(
    park_emulator: Emulator, esl
):
    park_emulator.set_endpoint("sofia/*/busy@*", busy=True)
    client = esl("CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP_COMPLETE")
    call = parked_call(park_emulator, "1000")

    done = execute_until(
        client, call, "bridge", "sofia/sipinterface_1/busy@10.0.0.9", "CHANNEL_EXECUTE_COMPLETE"
    )

    assert done.headers["variable_originate_disposition"] == "USER_BUSY"
    assert done.headers["variable_DIALSTATUS"] == "BUSY"
    assert call.wait_hangup() == "USER_BUSY"


def test_given_continue_on_fail_when_an_unregistered_user_is_dialled_then_the_call_goes_on(
    park_emulator: Emulator, esl
):
    client = esl("CHANNEL_EXECUTE_COMPLETE")
    call = parked_call(park_emulator, "1000", variables={"continue_on_fail": "true"})

    done = execute_until(
        client, call, "bridge", "user/nobody@demo.local", "CHANNEL_EXECUTE_COMPLETE"
    )

    assert done.headers["variable_originate_failed_cause"] == "USER_NOT_REGISTERED"
    assert call.is_up


def test_given_two_endpoints_ringing_at_once_then_the_first_to_answer_wins(
    park_emulator: Emulator, esl
):
    park_emulator.set_endpoint("user/slow", answer_after=3)
    park_emulator.set_endpoint("user/fast", answer_after=1)
    client = esl("CHANNEL_BRIDGE")
    call = parked_call(park_emulator, "1000")

    bridge = execute_until(client, call, "bridge", "user/slow@d,user/fast@d", "CHANNEL_BRIDGE")

    assert bridge.headers["Other-Leg-Destination-Number"] == "fast"
    legs = call.legs
    causes = sorted(
        leg.wait_hangup() for leg in legs if leg.uuid != bridge.headers["Other-Leg-Unique-ID"]
    )
    assert causes == ["LOSE_RACE"]


def test_given_record_when_the_caller_presses_hash_then_recording_stops_and_a_wav_exists(
    park_emulator: Emulator, esl, tmp_path
):
    path = tmp_path / "vm.wav"
    client = esl("RECORD_STOP", "CHANNEL_EXECUTE_COMPLETE")
    call = parked_call(park_emulator, "1000", script=[on_app("record").wait(4).press("#")])
    client.api(f"uuid_answer {call.uuid}")

    client.execute(call.uuid, "set", "playback_terminators=#")
    stop = execute_until(client, call, "record", f"{path} 120 200 50", "RECORD_STOP")
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", uuid_=call.uuid)
    while done.headers["Application"] != "record":
        done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", uuid_=call.uuid)

    assert stop.headers["Record-File-Path"] == str(path)
    assert done.headers["variable_playback_terminator_used"] == "#"
    assert 3000 <= int(done.headers["variable_record_ms"]) < 53000  # "#" came before silence
    with wave.open(str(path)) as recorded:
        assert recorded.getframerate() == 8000 and recorded.getnframes() > 0


def test_given_record_session_then_record_start_and_stop_frame_the_recording(
    park_emulator: Emulator, esl, tmp_path
):
    path = str(tmp_path / "call.wav")
    client = esl("RECORD_START", "RECORD_STOP", "MEDIA_BUG_START", "MEDIA_BUG_STOP")
    call = parked_call(park_emulator, "1000")

    start = execute_until(client, call, "record_session", path, "RECORD_START")
    stop = execute_until(client, call, "stop_record_session", path, "RECORD_STOP")

    assert start.headers["Record-File-Path"] == path
    assert stop.headers["Record-Completion-Cause"] == "success-maxtime"
    assert stop.headers["variable_record_file_size"].isdigit()


def test_given_bgapi_originate_of_error_user_busy_then_the_job_answers_err_user_busy(
    park_emulator: Emulator, esl
):
    client = esl("BACKGROUND_JOB")

    reply = client.command("bgapi originate error/user_busy &park()")
    job = client.wait_event("BACKGROUND_JOB")

    assert reply.headers["Job-UUID"] == job.headers["Job-UUID"]
    assert reply.reply_text == f"+OK Job-UUID: {reply.headers['Job-UUID']}"
    assert job.body == "-ERR USER_BUSY\n"
    assert job.headers["Job-Command"] == "originate"
    assert job.headers["Job-Command-Arg"] == "error/user_busy &park()"


def test_given_api_originate_then_the_reply_carries_the_new_parked_leg(
    park_emulator: Emulator, esl
):
    park_emulator.set_endpoint("sofia/sipinterface_1/bob@*", answer_after=0.5)
    client = esl("CHANNEL_PARK")

    reply = client.api(
        "originate {origination_uuid=b-leg-1}sofia/sipinterface_1/bob@127.0.0.1:5090 &park()"
    )
    park = client.wait_event("CHANNEL_PARK")

    assert reply == "+OK b-leg-1\n"
    assert park.headers["Unique-ID"] == "b-leg-1"
    assert park.headers["Call-Direction"] == "outbound"
    assert client.api("uuid_exists b-leg-1") == "true"


def test_given_an_endpoint_that_never_answers_then_originate_times_out_with_no_answer(
    park_emulator: Emulator, esl
):
    park_emulator.set_endpoint("user/deaf", no_answer=True)
    client = esl()

    assert client.api("originate {originate_timeout=2}user/deaf@d &park()") == "-ERR NO_ANSWER\n"


def test_given_unknown_uuids_then_replies_are_freeswitch_errors(park_emulator: Emulator, esl):
    client = esl()
    nobody = "00000000-0000-0000-0000-000000000000"

    assert client.api(f"uuid_kill {nobody}") == "-ERR No such channel!\n"
    assert client.api(f"uuid_exists {nobody}") == "false"
    assert client.api(f"uuid_getvar {nobody} x") == "-ERR No such channel!\n"
    assert client.sendmsg(
        nobody, [("call-command", "execute"), ("execute-app-name", "answer")]
    ) == (f"-ERR invalid session id [{nobody}]")
    assert client.api("no_such_command") == "-ERR no_such_command Command not found!\n"
    assert client.command("bogus").reply_text == "-ERR command not found"
    assert client.command("linger").reply_text == "-ERR not controlling a session"
    assert client.command("myevents").reply_text == "-ERR command not found"


def test_given_an_unknown_application_then_the_channel_is_hung_up_as_freeswitch_does(
    park_emulator: Emulator, esl
):
    client = esl("CHANNEL_EXECUTE", "CHANNEL_HANGUP_COMPLETE")
    call = parked_call(park_emulator, "1000")

    hangup = execute_until(client, call, "no_such_app", "x", "CHANNEL_HANGUP_COMPLETE")

    assert hangup.headers["Hangup-Cause"] == "DESTINATION_OUT_OF_ORDER"
    assert "no_such_app" not in [a for _, a in call.event_headers("CHANNEL_EXECUTE")]


def test_given_a_filter_then_only_matching_events_are_delivered(park_emulator: Emulator, esl):
    client = esl("CHANNEL_PARK")
    first = park_emulator.place_call("1000")
    assert client.command(f"filter Unique-ID {first.uuid}").reply_text.startswith(
        "+OK filter added."
    )
    parked_call(park_emulator, "1001")
    parked_call(park_emulator, "1002", uuid=first.uuid + "-x")

    park = client.wait_event("CHANNEL_PARK")

    assert park.headers["Unique-ID"] == first.uuid
    assert client.next_event(0.2) is None


def test_given_event_json_then_events_come_as_json_objects(park_emulator: Emulator, esl):
    client = esl()
    assert client.command("event json CHANNEL_PARK").reply_text == "+OK event listener enabled json"
    park_emulator.place_call("1000", caller_id_name="Zoë")

    frame = client.next_frame(5)

    assert frame.content_type == "text/event-json"
    assert list(frame.headers) == ["Content-Length", "Content-Type"]
    data = json.loads(frame.body)
    assert data["Event-Name"] == "CHANNEL_PARK"
    assert data["Caller-Caller-ID-Name"] == "Zoë"


def test_given_registrations_then_sofia_register_events_and_show_registrations_follow(
    park_emulator: Emulator, esl
):
    client = esl("CUSTOM", "sofia::register", "sofia::unregister")

    park_emulator.register("1001", realm="demo.local")
    registered = client.wait_event("sofia::register")
    rows = client.api("show registrations as json")
    park_emulator.unregister("1001", realm="demo.local")
    unregistered = client.wait_event("sofia::unregister")

    assert registered.headers["Event-Name"] == "CUSTOM"
    assert registered.headers["username"] == "1001" and registered.headers["realm"] == "demo.local"
    assert '"reg_user":"1001"' in rows
    assert unregistered.headers["expires"] == "0"
    assert client.api("show registrations as json") == '{"row_count": 0}\n'


def test_given_answered_call_when_the_caller_hangs_up_then_the_cause_reaches_the_controller(
    park_emulator: Emulator, esl
):
    client = esl("CHANNEL_HANGUP_COMPLETE")
    call = parked_call(park_emulator, "1000", script=[on_answer().wait(1).hangup()])
    client.api(f"uuid_answer {call.uuid}")

    hangup = client.wait_event("CHANNEL_HANGUP_COMPLETE", uuid_=call.uuid)

    assert hangup.headers["Hangup-Cause"] == "NORMAL_CLEARING"
    assert hangup.headers["variable_sip_hangup_disposition"] == "recv_bye"
    assert int(hangup.headers["variable_billsec"]) >= 0


def test_given_uuid_transfer_then_the_call_leaves_park_and_runs_the_dialplan_of_the_new_number(
    park_emulator: Emulator, esl
):
    client = esl("CHANNEL_PARK", "CHANNEL_UNPARK")
    call = park_emulator.place_call("1000")
    client.wait_event("CHANNEL_PARK", uuid_=call.uuid)

    assert client.api(f"uuid_transfer {call.uuid} 2000 XML context_2") == "+OK\n"

    assert client.wait_event("CHANNEL_UNPARK", uuid_=call.uuid)
    parked_again = client.wait_event("CHANNEL_PARK", uuid_=call.uuid)
    assert parked_again.headers["Caller-Destination-Number"] == "2000"
    assert parked_again.headers["Caller-Channel-Transfer-Time"] != "0"


def test_given_a_heartbeat_interval_then_heartbeats_come_with_freeswitch_headers():
    with Emulator(heartbeat_interval=0.05) as emu:
        client = EslClient("127.0.0.1", emu.port)
        client.subscribe("HEARTBEAT")
        heartbeat = client.wait_event("HEARTBEAT")
        client.close()

    assert heartbeat.headers["Event-Info"] == "System Ready"
    assert heartbeat.headers["FreeSWITCH-Version"] == "1.10.12-release~64bit"
    assert heartbeat.headers["Up-Time"].startswith("0 years, 0 days, 0 hours, 0 minutes")


def test_given_a_concurrency_cap_when_placing_many_calls_then_no_more_than_the_cap_are_up_at_once(
    park_emulator: Emulator, esl
):
    client = esl("CHANNEL_PARK")
    placed: list = []

    calls = park_emulator.place_calls(
        12,
        rate=1000,
        concurrency=3,
        variables={"ecallmgr_Account-ID": "acc-1"},
        script=[hangup_after(5)],
        on_placed=placed.append,
    ).result(timeout=10)

    for call in calls:
        assert call.wait_hangup(5) == "NORMAL_CLEARING"
    up_at_each_start = [
        sum(1 for o in calls if o.created_at <= c.created_at < o.hungup_at) for c in calls
    ]
    assert max(up_at_each_start) == 3
    assert placed == calls
    park = client.wait_event("CHANNEL_PARK", uuid_=calls[0].uuid)
    assert park.headers["variable_ecallmgr_Account-ID"] == "acc-1"


def test_given_uuid_audio_then_it_answers_as_mod_commands_does(park_emulator: Emulator, esl):
    client = esl("CHANNEL_ANSWER")
    call = parked_call(park_emulator, "1000")

    assert client.api(f"uuid_audio {call.uuid} start write mute -4") == "+OK Success\n"
    assert client.api(f"uuid_audio {call.uuid} start read level 2") == "+OK Success\n"
    assert client.api(f"uuid_audio {call.uuid} stop") == "+OK Success\n"
    assert client.api(f"uuid_audio {call.uuid} start both mute -4").startswith("-USAGE")
    assert client.api(f"uuid_audio {call.uuid} start write").startswith("-USAGE")
    assert client.api("uuid_audio no-such-call stop").startswith("-ERR")
