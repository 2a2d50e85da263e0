"""The emulator against the real FreeSWITCH 1.10.12 transcripts, frame by frame.

Each test replays the commands a client sent to the real switch (``NAME.sent.txt``), with
the emulator playing the switch and its SIP peer, and compares what came back with what
the real switch sent (``NAME.txt``): reply texts, framing and header order of each frame
type, each channel's event sequence, every event's header names in order, its variable
names, and URL-encoding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from kazoo_tasks.esl.emulator import Emulator, on_answer, on_app
from kazoo_tasks.esl.emulator.client import EslClient
from tests.emulator.replay import (
    Comparison,
    Scenario,
    Tolerance,
    compare,
    decode,
    is_event,
    load_frames,
    replay,
)

DTMF_CALLER = [
    on_answer().wait(2.5).press("1", source="ENDPOINT").wait(0.7).press("2", source="ENDPOINT"),
    on_answer().wait(4.2).press("5", source="RTP", duration=2240),
]
"""The SIPp caller of dtmf.*: 1 and 2 by SIP INFO, then 5 by RFC 2833."""

BOB = "sofia/sipinterface_1/bob@127.0.0.1:5090"
CAROL = "sofia/sipinterface_1/carol@127.0.0.1:5091"


def far_ends(**rules: dict[str, object]) -> Callable[[Emulator], None]:
    """The SIPp UASes of the bridge_app transcripts, as endpoint rules (bob=..., carol=...)."""
    targets = {"bob": BOB, "carol": CAROL}

    def setup(emulator: Emulator) -> None:
        for name, rule in rules.items():
            emulator.set_endpoint(targets[name], **rule)  # type: ignore[arg-type]

    return setup


UAS_ANSWER = {"answer_after": 1.0}
"""SIPp's ``uas``: 180 Ringing, then 200 OK 1 s later."""
UAS_BUSY = {"reject": "486"}
"""``uas_busy.xml``: 486 Busy Here at once, no 180."""
UAS_NO_ANSWER = {"no_answer": True}
"""``uas_noanswer.xml``: 180, never answers; 200 then 487 on CANCEL."""

PAGD_CALLER = [
    on_app("play_and_get_digits")
    .wait(0.44)
    .press("2", duration=2240)
    .wait(0.6)
    .press("#", duration=2240)
]
"""``uac_pagd_digits.xml``: 2 while the prompt plays, # 600 ms later (RFC 2833)."""
SLEEP_CALLER = [
    on_app("sleep").wait(1.1).press("5", duration=2240).wait(1.0).press("#", duration=2240)
]
"""``uac_sleep_dtmf.xml``: 5 about 1 s into the sleep, # 1 s later."""
RECORD_CALLER = [on_app("record").wait(7.9).press("#", duration=2240)]
"""``uac_record.xml``: speaks, then # at about 7.9 s into the recording."""


def pcap_speech(emulator: Emulator) -> None:
    """The record_app caller plays 7.05 s of speech (SIPp's g711a.pcap)."""
    emulator.config.media.caller_speech_seconds = 7.05


PCAP_PTIME = Tolerance(
    "record_app's caller (SIPp's g711a.pcap) sends 30 ms packets after offering 20 ms:"
    " FreeSWITCH re-sets the write codec mid-call (a CODEC event, rtp_h_X-Broken-PTIME and"
    " the rtp_use_codec_* / write_* variables it sets again). The emulated caller sends"
    " what it offered.",
    events=lambda event: (
        event.name == "CODEC"
        and event.headers.get("Event-Calling-Function") == "switch_core_session_set_write_codec"
        and event.headers.get("Channel-State") == "CS_EXECUTE"
    ),
    variables=frozenset(
        f"variable_{name}"
        for name in (
            "rtp_h_X-Broken-PTIME",
            "rtp_use_codec_name",
            "rtp_use_codec_rate",
            "rtp_use_codec_ptime",
            "rtp_use_codec_channels",
            "rtp_last_audio_codec_string",
            "write_codec",
            "write_rate",
        )
    ),
)

BRIDGE_APP = {
    "answer": far_ends(bob=UAS_ANSWER),
    "busy": far_ends(bob=UAS_BUSY),
    "no_answer": far_ends(bob=UAS_NO_ANSWER),
    "call_timeout": far_ends(bob=UAS_NO_ANSWER),
    "caller_cancel": far_ends(bob=UAS_NO_ANSWER),
    "simring": far_ends(bob=UAS_ANSWER, carol=UAS_NO_ANSWER),
    "failover": far_ends(bob=UAS_BUSY, carol=UAS_ANSWER),
}

SCENARIOS = [
    *(
        Scenario(f"bridge_app_{case}.{fmt}", setup=setup)
        for case, setup in BRIDGE_APP.items()
        for fmt in ("plain", "json")
    ),
    *(
        Scenario(f"{name}.{fmt}", caller_script=caller)
        for name, caller in (
            ("play_and_get_digits_timeout", []),
            ("sleep_and_dtmf", SLEEP_CALLER),
            ("sleep_and_dtmf_terminators", SLEEP_CALLER),
            ("sleep_and_dtmf_eat_digits", SLEEP_CALLER),
        )
        for fmt in ("plain", "json")
    ),
    *(
        Scenario(f"play_and_get_digits.{fmt}", caller_script=PAGD_CALLER, time_scale=0.1)
        for fmt in ("plain", "json")
    ),
    *(
        Scenario(
            f"record_app.{fmt}",
            caller_script=RECORD_CALLER,
            setup=pcap_speech,
            tolerances=(PCAP_PTIME,),
            time_scale=0.05,
        )
        for fmt in ("plain", "json")
    ),
    Scenario("inbound_call_park_answer_play_hangup.plain"),
    Scenario("inbound_call_park_answer_play_hangup.json"),
    Scenario("bridge.plain"),
    Scenario("bridge.json"),
    Scenario("dtmf.plain", caller_script=DTMF_CALLER),
    Scenario("dtmf.json", caller_script=DTMF_CALLER),
    Scenario("record.plain"),
    Scenario("record.json"),
]


def assert_same(result: Comparison) -> None:
    problems = {k: v for k, v in vars(result).items() if v}
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_given_a_real_transcript_when_its_commands_are_replayed_then_the_emulator_answers_alike(
    emulator: Emulator, scenario: Scenario
):
    mine = replay(scenario, emulator)

    assert_same(compare(load_frames(scenario.name), mine, tolerances=scenario.tolerances))


def _lines(text: str) -> str:
    return re.sub(r"\d+", "N", text.split("\n", 2)[1]) + f" lines={text.count(chr(10))}"


def _csv_shape(text: str) -> str:
    lines = text.split("\n")
    return f"{lines[0]} rows={len(lines)}"


def _json_keys(text: str) -> str:
    return " ".join(k for k, _ in json.loads(text, object_pairs_hook=list))


def _table_labels(text: str) -> str:
    return " ".join(line.split("\t", 1)[0] for line in text.split("\n"))


def test_given_api_replies_transcript_when_replayed_then_replies_and_framing_match(
    emulator: Emulator,
):
    scenario = Scenario(
        "api_replies",
        destination="6000",
        uuid="2a68247a-9073-40d5-867b-4a8fb5ed272e",
        place_before=5,
    )
    normalizers = {
        2: _lines,  # status: uptime and counters vary
        7: _csv_shape,  # show channels (CSV): values vary
        12: _json_keys,  # uuid_dump json: the CHANNEL_DATA header names, in order
        16: lambda text: re.sub(r"\(\d+\)", "(N)", text),  # sofia status: calls running
        17: _table_labels,  # sofia status profile: counters vary
    }
    mine = replay(scenario, emulator)

    result = compare(load_frames("api_replies"), mine, reply_normalizers=normalizers)
    assert_same(result)
    jobs = [f for f in mine if f.content_type == "text/event-plain" and b"BACKGROUND_JOB" in f.body]
    assert len(jobs) == 1


def test_given_a_wrong_password_when_authenticating_then_the_switch_refuses_and_hangs_up(
    emulator: Emulator,
):
    mine = replay(Scenario("api_auth_failure"), emulator)

    assert_same(compare(load_frames("api_auth_failure"), mine))
    assert [f.content_type for f in mine] == [
        "auth/request",
        "command/reply",
        "text/disconnect-notice",
    ]
    assert len(mine[-1].body) == 67


def test_given_a_heartbeat_then_its_headers_are_those_of_the_real_one():
    real = [
        decode(f)
        for f in load_frames("inbound_call_park_answer_play_hangup.json")
        if is_event(f) and decode(f).name == "HEARTBEAT"
    ][0]
    with Emulator(heartbeat_interval=0.05) as emu:
        client = EslClient("127.0.0.1", emu.port)
        assert client.command("event json HEARTBEAT").reply_text.startswith("+OK")
        mine = client.wait_event("HEARTBEAT")
        client.close()

    assert [n for n, _ in mine.pairs] == [n for n, _ in real.pairs]
