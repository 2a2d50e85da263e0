"""Hostile bytes from the switch side, fuzzed with hypothesis: the ESL frame reader, the
plain event decoder, the call-event normalizer and ecallmgr's reader-side intake never
raise anything but the framing error they document, and never hold more than their
limits; every command we render is exactly one frame carrying exactly its own headers,
whatever a caller or a document put into its values."""

from __future__ import annotations

import string

import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from kazoo_tasks.commands import render_command, sanitize_text, validate_command
from kazoo_tasks.config import Settings
from kazoo_tasks.esl.frames import (
    MAX_BODY,
    MAX_HEADER_BLOCK,
    FrameError,
    FrameReader,
    encode_event_plain,
    parse_event_plain,
)
from kazoo_tasks.events import call_event_from_plain
from workers.ecallmgr.controlled import ControlledCalls
from workers.ecallmgr.intake import EventIntake
from workers.ecallmgr.stats import NodeStats

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HEADER_TEXT = st.text(alphabet=string.printable + "é€\x00%", max_size=60)
ESLISH = st.lists(
    st.one_of(
        st.binary(max_size=200),
        st.sampled_from(
            [
                b"\n\n",
                b"Content-Length: ",
                b"Content-Type: text/event-plain\n",
                b"Content-Length: 99999999999\n\n",
                b"Event-Name: CHANNEL_PARK\n",
                b"Unique-ID: ",
                b"%0A%00%",
                b"\r\n",
            ]
        ),
        HEADER_TEXT.map(lambda t: t.encode("utf-8", "replace")),
    ),
    max_size=40,
)


@FUZZ
@given(chunks=ESLISH)
def test_given_any_bytes_when_framed_then_frames_or_a_frame_error_and_bounded_memory(chunks):
    reader = FrameReader()
    try:
        for chunk in chunks:
            for frame in reader.feed(chunk):
                assert isinstance(frame.headers, dict) and isinstance(frame.body, bytes)
            assert reader.buffered <= MAX_HEADER_BLOCK + MAX_BODY + len(chunk)
    except FrameError:
        pass  # the reader says so, and ecallmgr reconnects to resynchronise


@FUZZ
@given(body=st.binary(max_size=4000), received_at=st.floats(0, 2e9))
def test_given_any_event_body_when_decoded_and_normalized_then_nothing_raises(body, received_at):
    event = parse_event_plain(body)
    normalized = call_event_from_plain(event, "fs1", received_at)
    assert isinstance(normalized["headers"], dict)
    assert isinstance(normalized["sequence"], int) and normalized["sequence"] >= 0


@FUZZ
@given(
    pairs=st.lists(
        st.tuples(st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,20}", fullmatch=True), HEADER_TEXT),
        max_size=20,
    )
)
def test_given_any_header_values_when_encoded_and_decoded_then_they_come_back(pairs):
    decoded = parse_event_plain(encode_event_plain(pairs))
    assert decoded.pairs == [(n, v) for n, v in pairs]


@FUZZ
@given(body=st.binary(max_size=3000))
def test_given_any_event_body_when_the_reader_offers_it_then_ecallmgr_never_raises(
    body, settings_for_intake
):
    settings_value, client = settings_for_intake
    controlled = ControlledCalls(client, f"{settings_value.namespace}:controlled")
    controlled.add("c1")
    intake = EventIntake(controlled, NodeStats(), capacity=64)
    intake.offer(b"Event-Name: CHANNEL_EXECUTE_COMPLETE\nUnique-ID: c1\n" + body, 0.0)
    intake.offer(body, 0.0)
    assert intake.depth() <= 64


HOSTILE = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "Alice\nevent-lock: false\n\napi uuid_kill x",
            "a\r\nsendmsg 00000000-0000-0000-0000-000000000000",
            "%0Aapi%20uuid_kill",
            "x\x00y",
            "${system(rm -rf /)}",
            "${api(uuid_kill x)}",
            "a" * 20_000,
        ]
    ),
)


@FUZZ
@given(
    app=st.sampled_from(["playback", "set", "speak", "bridge", "multiset"]),
    args=HOSTILE,
    cause=HOSTILE,
)
def test_given_hostile_values_when_a_command_is_rendered_then_it_is_one_frame_with_its_own_headers(
    app, args, cause
):
    for command in (
        {
            "id": "c-1",
            "call_id": "call-1",
            "node": "fs1",
            "kind": "execute",
            "app": app,
            "args": args,
        },
        {
            "id": "c-2",
            "call_id": "call-1",
            "node": "fs1",
            "kind": "execute",
            "app": app,
            "args": sanitize_text(args),
        },
        {"id": "c-3", "call_id": "call-1", "node": "fs1", "kind": "hangup", "hangup_cause": cause},
    ):
        try:
            rendered = render_command(validate_command(command))
        except ValidationError:
            continue
        line, _, rest = rendered.partition(b"\n")
        assert line == b"sendmsg call-1"
        frames = FrameReader().feed(rest)
        assert len(frames) == 1 and frames[0].body == b""
        names = set(frames[0].headers)
        assert names <= {
            "call-command",
            "execute-app-name",
            "execute-app-arg",
            "event-lock",
            "Event-UUID",
            "hangup-cause",
        }
        assert "${" not in rendered.decode("utf-8")


import pytest  # noqa: E402


@pytest.fixture(scope="module")
def settings_for_intake():
    from tests.conftest import TEST_REDIS_URL

    value = Settings(namespace="ktfuzz", redis_url=TEST_REDIS_URL)
    client = redis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    yield value, client
    client.close()
