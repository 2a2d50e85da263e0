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

import pytest

from kazoo_tasks.esl.emulator import Emulator, on_answer
from kazoo_tasks.esl.emulator.client import EslClient
from tests.emulator.replay import (
    Comparison,
    Scenario,
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

SCENARIOS = [
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

    assert_same(compare(load_frames(scenario.name), mine))


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
