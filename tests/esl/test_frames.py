"""The ESL framing layer against the real FreeSWITCH transcripts."""

from __future__ import annotations

import json

import pytest

from kazoo_tasks.esl.frames import (
    FrameError,
    FrameReader,
    encode_event_json,
    encode_event_plain,
    parse_event_plain,
    url_encode,
)
from tests.conftest import FREESWITCH_FIXTURES

RECEIVED = sorted(p for p in FREESWITCH_FIXTURES.glob("*.txt") if not p.name.endswith(".sent.txt"))


@pytest.mark.parametrize("path", RECEIVED, ids=lambda p: p.name)
@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_given_a_real_transcript_when_fed_in_chunks_then_every_byte_is_framed(path, chunk):
    data = path.read_bytes()
    reader = FrameReader()
    frames = []
    for start in range(0, len(data), chunk):
        frames += reader.feed(data[start : start + chunk])
    assert frames, "a transcript holds at least one frame"
    assert reader.buffered == 0
    consumed = sum(len(f.body) for f in frames)
    assert consumed <= len(data)
    assert frames[-1].content_type in {"text/disconnect-notice", "command/reply", "api/response"}


@pytest.mark.parametrize(
    "path", sorted(FREESWITCH_FIXTURES.glob("*.plain.txt")), ids=lambda p: p.name
)
def test_given_real_plain_events_when_decoded_and_encoded_then_bytes_are_identical(path):
    frames = FrameReader().feed(path.read_bytes())
    events = [f for f in frames if f.content_type == "text/event-plain"]
    assert events
    for frame in events:
        event = parse_event_plain(frame.body)
        own_body = event.body if b"\nContent-Length: " in frame.body else None
        assert encode_event_plain(event.pairs, own_body) == frame.body, event.name


def test_given_background_job_then_its_body_is_separate_from_its_headers():
    frames = FrameReader().feed((FREESWITCH_FIXTURES / "bridge.plain.txt").read_bytes())
    jobs = [
        parse_event_plain(f.body)
        for f in frames
        if f.content_type == "text/event-plain" and b"BACKGROUND_JOB" in f.body[:40]
    ]
    assert len(jobs) == 1
    assert jobs[0].body.startswith("+OK ")
    assert "Content-Length" not in jobs[0].headers
    assert jobs[0].headers["Job-Command"] == "originate"


def test_given_repeated_header_names_then_the_first_value_wins_and_all_are_kept():
    body = b"Event-Name: X\nHangup-Cause: A\nHangup-Cause: B\n\n"
    event = parse_event_plain(body)
    assert event.headers["Hangup-Cause"] == "A"
    assert event.pairs == [("Event-Name", "X"), ("Hangup-Cause", "A"), ("Hangup-Cause", "B")]


def test_given_escaped_line_breaks_nul_and_utf8_then_each_value_decodes_on_its_own():
    body = (
        b"Event-Name: CUSTOM\nA: 1%0A%00%0A2\nB: x%0A\nC: %C3%A9t%C3%A9\nD: 50%25\nE: %0A%00%0A\n\n"
    )
    event = parse_event_plain(body)
    assert event.pairs == [
        ("Event-Name", "CUSTOM"),
        ("A", "1\n\x00\n2"),
        ("B", "x\n"),
        ("C", "\u00e9t\u00e9"),
        ("D", "50%"),
        ("E", "\n\x00\n"),
    ]


def test_given_a_malformed_header_line_then_it_is_skipped_and_the_rest_is_kept(caplog):
    frames = FrameReader().feed(b"Content-Type: command/reply\ngarbage line\nReply-Text: +OK\n\n")
    assert frames[0].headers == {"Content-Type": "command/reply", "Reply-Text": "+OK"}
    assert "malformed ESL header line" in caplog.text


def test_given_a_header_block_over_the_limit_then_the_reader_refuses_it():
    reader = FrameReader(max_header_block=1024)
    with pytest.raises(FrameError):
        reader.feed(b"X-Big: " + b"a" * 1024 * 1024)


def test_given_an_absurd_content_length_then_the_reader_refuses_it():
    with pytest.raises(FrameError):
        FrameReader().feed(b"Content-Type: api/response\nContent-Length: 99999999999\n\n")


@pytest.mark.parametrize(
    "path", sorted(FREESWITCH_FIXTURES.glob("*.json.txt")), ids=lambda p: p.name
)
def test_given_real_json_events_when_decoded_and_encoded_then_bytes_are_identical(path):
    frames = FrameReader().feed(path.read_bytes())
    events = [f for f in frames if f.content_type == "text/event-json"]
    assert events
    checked = 0
    for frame in events:
        pairs = json.loads(frame.body, object_pairs_hook=list)
        pairs = [  # FreeSWITCH renders the ARRAY:: variables as JSON arrays
            (name, value if isinstance(value, str) else "ARRAY::" + "|:".join(value))
            for name, value in pairs
        ]
        body = None
        if pairs[-1][0] == "_body":
            body, pairs = pairs[-1][1], pairs[:-2]
        assert encode_event_json(pairs, body) == frame.body
        checked += 1
    assert checked


def test_given_values_when_url_encoded_then_freeswitch_escapes_are_used():
    assert url_encode("fd00::2") == "fd00%3A%3A2"
    assert url_encode("tone_stream://%(500,0,660);loops=1") == (
        "tone_stream%3A//%25(500,0,660)%3Bloops%3D1"
    )
    assert url_encode("Zoë\n") == "Zo%C3%AB%0A"
    assert url_encode("plain-value_1.2(3)*!'") == "plain-value_1.2(3)*!'"
