"""Digits during applications: sleep, play_and_get_digits, as FreeSWITCH 1.10.12 treats them.

The transcripts (sleep_and_dtmf*, play_and_get_digits*) pin the event order; these tests
pin the behaviour a controller relies on, with sleeps long enough that only a digit can end
them within the test's timeout.
"""

from __future__ import annotations

import pytest

from kazoo_tasks.esl.emulator import Emulator, on_app
from kazoo_tasks.esl.emulator.client import EslClient
from tests.emulator.calls import parked_call

TEN_MINUTES_MS = "600000"
"""A sleep that ends, at the test emulator's time scale, only long after any wait here."""


def events_of(client, uuid_: str, until: str, app: str) -> list[tuple[str, str]]:
    """(event, digit or application) of the call until ``until`` of ``app``."""
    out = []
    while True:
        event = client.next_event(5)
        assert event is not None, f"no {until} of {app}; got {out}"
        if event.headers.get("Unique-ID") != uuid_:
            continue
        label = event.headers.get("DTMF-Digit") or event.headers.get("Application", "")
        out.append((event.name, label))
        if event.name == until and label == app:
            return out


def test_given_a_sleep_when_the_caller_presses_a_digit_then_it_ends_and_the_digit_follows(
    park_emulator: Emulator, esl
):
    client = esl("CHANNEL_EXECUTE_COMPLETE", "DTMF")
    call = parked_call(park_emulator, "3000", script=[on_app("sleep").wait(1).press("5")])
    client.api(f"uuid_answer {call.uuid}")

    client.execute(call.uuid, "sleep", TEN_MINUTES_MS)
    seen = events_of(client, call.uuid, "CHANNEL_EXECUTE_COMPLETE", "sleep")
    after = client.wait_event("DTMF", uuid_=call.uuid)

    assert seen[-1] == ("CHANNEL_EXECUTE_COMPLETE", "sleep")
    assert ("DTMF", "5") not in seen  # sleep broke on the queued digit without taking it
    assert after.headers["DTMF-Digit"] == "5"
    assert "variable_playback_terminator_used" not in after.headers


@pytest.mark.parametrize(
    ("setting", "eaten", "terminator"),
    [
        pytest.param("uuid_setvar {uuid} sleep_eat_digits true", "5", "*", id="default"),
        pytest.param(
            "uuid_setvar_multi {uuid} sleep_eat_digits=true;playback_terminators=#",
            "*",
            "#",
            id="playback_terminators",
        ),
    ],
)
def test_given_sleep_eat_digits_when_digits_come_then_only_a_terminator_ends_it(
    park_emulator: Emulator, esl, setting: str, eaten: str, terminator: str
):
    caller = [on_app("sleep").wait(1).press(eaten).wait(1).press(terminator)]
    client = esl("CHANNEL_EXECUTE_COMPLETE", "DTMF")
    call = parked_call(park_emulator, "3000", script=caller)
    client.api(f"uuid_answer {call.uuid}")
    client.api(setting.format(uuid=call.uuid))

    client.execute(call.uuid, "sleep", TEN_MINUTES_MS)
    seen = events_of(client, call.uuid, "CHANNEL_EXECUTE_COMPLETE", "sleep")

    assert seen == [("DTMF", eaten), ("DTMF", terminator), ("CHANNEL_EXECUTE_COMPLETE", "sleep")]
    assert client.api(f"uuid_getvar {call.uuid} playback_terminator_used") == terminator


def test_given_a_digit_queued_by_sleep_when_a_prompt_plays_next_then_the_prompt_takes_it(
    park_emulator: Emulator, esl
):
    caller = [on_app("sleep").wait(1).press("*")]
    client = esl("CHANNEL_EXECUTE_COMPLETE", "DTMF", "PLAYBACK_STOP")
    call = parked_call(park_emulator, "3000", script=caller)
    client.api(f"uuid_answer {call.uuid}")

    client.execute(call.uuid, "sleep", TEN_MINUTES_MS)
    client.execute(call.uuid, "playback", "silence_stream://-1")
    seen = events_of(client, call.uuid, "CHANNEL_EXECUTE_COMPLETE", "playback")

    assert [name for name, _ in seen] == [
        "CHANNEL_EXECUTE_COMPLETE",
        "DTMF",
        "PLAYBACK_STOP",
        "CHANNEL_EXECUTE_COMPLETE",
    ]


PAGD = (
    "1 4 3 2000 # tone_stream://%(500,0,440) tone_stream://%(200,0,300) menu_digits {regexp} 1000"
)
"""play_and_get_digits as the transcripts ran it (3 tries, # ends, 2 s to start, 1 s between)."""


def test_given_play_and_get_digits_when_nothing_is_pressed_then_it_fails_after_every_try(
    park_emulator: Emulator, esl
):
    client = esl("CHANNEL_EXECUTE_COMPLETE", "PLAYBACK_START")
    call = parked_call(park_emulator, "3000")
    client.api(f"uuid_answer {call.uuid}")
    client.api(f"uuid_setvar {call.uuid} menu_digits 42")

    client.execute(call.uuid, "play_and_get_digits", PAGD.format(regexp="\\d+"))
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", uuid_=call.uuid)

    files = [h["Playback-File-Path"] for h in call.event_headers("PLAYBACK_START")]
    assert files == ["tone_stream://%(500,0,440)", "tone_stream://%(200,0,300)"] * 3
    assert done.headers["variable_read_result"] == "failure"
    assert "variable_menu_digits" not in done.headers  # cleared at the start
    assert done.headers["Application-Response"] == "_none_"


def test_given_play_and_get_digits_when_digits_miss_the_regexp_then_the_next_try_takes_them():
    caller = [
        on_app("play_and_get_digits").wait(0.2).press("7#"),
        on_app("play_and_get_digits").wait(1.5).press("42#"),
    ]
    with Emulator(time_scale=0.1) as emulator, EslClient("127.0.0.1", emulator.port) as client:
        # slower than the other tests: its digit timeouts (1 s) and key presses are close
        client.subscribe("CHANNEL_EXECUTE_COMPLETE")
        call = parked_call(emulator, "3000", script=caller)
        client.api(f"uuid_answer {call.uuid}")

        client.execute(call.uuid, "play_and_get_digits", PAGD.format(regexp="\\d\\d"))
        done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", uuid_=call.uuid)

    assert done.headers["variable_menu_digits"] == "42"
    assert done.headers["variable_menu_digits_invalid"] == "7"
    assert done.headers["variable_read_result"] == "success"
    assert done.headers["variable_read_terminator_used"] == "#"
    assert done.headers["Application-Response"] == "_none_"


def test_given_flush_dtmf_queued_behind_a_sleep_when_a_digit_breaks_the_sleep_then_the_digit_is_dropped(  # noqa: E501
    park_emulator: Emulator, esl
):
    client = esl("CHANNEL_EXECUTE_COMPLETE", "DTMF")
    call = parked_call(park_emulator, "3000", script=[on_app("sleep").wait(1).press("5")])
    client.api(f"uuid_answer {call.uuid}")

    client.execute(call.uuid, "sleep", TEN_MINUTES_MS)
    client.execute(call.uuid, "flush_dtmf")
    client.execute(call.uuid, "sleep", "50")
    seen = events_of(client, call.uuid, "CHANNEL_EXECUTE_COMPLETE", "flush_dtmf")
    seen += events_of(client, call.uuid, "CHANNEL_EXECUTE_COMPLETE", "sleep")

    assert seen == [
        ("CHANNEL_EXECUTE_COMPLETE", "sleep"),
        ("CHANNEL_EXECUTE_COMPLETE", "flush_dtmf"),
        ("CHANNEL_EXECUTE_COMPLETE", "sleep"),
    ]
