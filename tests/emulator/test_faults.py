"""Fault injection: what ecallmgr's tests do to the switch, checked on the emulator side."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from kazoo_tasks.esl.emulator import Emulator
from kazoo_tasks.esl.emulator.client import EslClient, EslError
from kazoo_tasks.esl.emulator.emulator import STALL_SECONDS
from kazoo_tasks.esl.frames import FrameError, FrameReader


def read_until_closed(sock: socket.socket, timeout: float = 5.0) -> bytes:
    sock.settimeout(timeout)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:  # closed while we still had bytes in flight
            data = b""
        if not data:
            return b"".join(chunks)
        chunks.append(data)
    raise AssertionError("the connection stayed open")


def test_given_connections_when_cut_then_clients_drop_and_calls_go_on(park_emulator: Emulator, esl):
    client = esl("CHANNEL_PARK")
    call = park_emulator.place_call("1000")
    client.wait_event("CHANNEL_PARK", uuid_=call.uuid)

    dropped = park_emulator.cut_connections()

    assert dropped == 1
    with pytest.raises(EslError):
        client.next_event(2)
    assert call.is_up
    again = esl()
    assert again.api(f"uuid_exists {call.uuid}") == "true"
    assert again.api(f"uuid_kill {call.uuid}") == "+OK\n"
    assert call.wait_hangup() == "NORMAL_CLEARING"


def test_given_cut_with_refusal_then_new_connections_fail_for_a_while_then_work(
    park_emulator: Emulator,
):
    port = park_emulator.port
    import threading

    cutter = threading.Thread(target=park_emulator.cut_connections, kwargs={"refuse_for": 0.5})
    cutter.start()
    time.sleep(0.2)
    with pytest.raises(OSError):
        EslClient("127.0.0.1", port, timeout=1)
    cutter.join()

    client = EslClient("127.0.0.1", port, timeout=2)
    assert client.api("version").startswith("FreeSWITCH Version 1.10.12")
    client.close()


def test_given_raw_bytes_when_sent_then_clients_receive_them_verbatim(park_emulator: Emulator, esl):
    client = esl()
    huge = b"Content-Type: text/event-plain\nX-Big: " + b"a" * (1024 * 1024) + b"\n\n"

    assert park_emulator.send_raw(huge) == 1

    received = b""
    client.sock.settimeout(5)
    while len(received) < len(huge):
        received += client.sock.recv(1 << 20)
    assert received == huge
    with pytest.raises(FrameError):
        FrameReader().feed(received)


def test_given_a_flood_then_every_event_reaches_a_reading_client_and_the_report_counts_them(
    park_emulator: Emulator, esl
):
    client = esl("ALL")
    received = []

    def reader() -> None:
        while len(received) < 3000:
            frame = client.next_frame(10)
            if frame is None:
                return
            received.append(frame)

    thread = threading.Thread(target=reader)
    thread.start()
    report = park_emulator.flood(3000, pipeline_share=0.2)
    thread.join(15)

    assert len(received) == 3000
    pipeline = sum(b"CHANNEL_EXECUTE_COMPLETE" in f.body[:40] for f in received)
    assert pipeline == report.pipeline_events == 600
    assert report.events == 3000 and report.listeners == 1
    assert report.bytes >= sum(len(f.body) for f in received)
    sequences = [int(f.body.split(b"Event-Sequence: ")[1].split(b"\n")[0]) for f in received]
    assert sequences == sorted(sequences)


def test_given_a_listener_idle_for_a_while_when_a_flood_starts_then_it_is_not_taken_for_stalled(
    park_emulator: Emulator, esl
):
    """A listener that had nothing to read for longer than the stall time is idle, not
    stalled: the flood writes to it as it goes (it used to skip it and write nothing until
    the flood was over, reporting 0 bytes: a CI run under load)."""
    client = esl("ALL")
    time.sleep(STALL_SECONDS * 2)
    received = []

    def reader() -> None:
        while len(received) < 500 and (frame := client.next_frame(10)) is not None:
            received.append(frame)

    thread = threading.Thread(target=reader)
    thread.start()
    report = park_emulator.flood(500)
    thread.join(15)

    assert len(received) == 500
    assert report.bytes >= sum(len(f.body) for f in received)


def test_given_a_client_that_stops_reading_when_events_are_lost_then_the_listener_is_killed():
    with Emulator(time_scale=0.01, max_queued_events=50, max_lost_events=20) as emu:
        sock = socket.create_connection(("127.0.0.1", emu.port))
        sock.sendall(b"auth ClueCon\n\nevent plain ALL\n\n")
        time.sleep(0.2)

        report = emu.flood(20_000)
        data = read_until_closed(sock, timeout=30)
        sock.close()

    frames = FrameReader().feed(data)
    assert frames[-1].content_type == "text/disconnect-notice"
    assert frames[-1].body == b"killed listener because of lost events\n"
    events = [f for f in frames if f.content_type == "text/event-plain"]
    assert 0 < len(events) < report.events


def test_given_exit_then_the_switch_says_bye_with_the_goodbye_notice_and_closes(
    park_emulator: Emulator,
):
    sock = socket.create_connection(("127.0.0.1", park_emulator.port))
    sock.sendall(b"auth ClueCon\n\nexit\n\n")

    frames = FrameReader().feed(read_until_closed(sock))
    sock.close()

    assert [f.content_type for f in frames] == [
        "auth/request",
        "command/reply",
        "command/reply",
        "text/disconnect-notice",
    ]
    assert frames[2].reply_text == "+OK bye"
    assert (
        frames[3].body == b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
    )


def test_given_commands_before_auth_then_they_are_refused_and_the_connection_stays(
    park_emulator: Emulator,
):
    sock = socket.create_connection(("127.0.0.1", park_emulator.port))
    sock.settimeout(5)
    sock.sendall(b"api status\n\nauth ClueCon\n\napi version\n\n")
    reader = FrameReader()
    frames = []
    while len(frames) < 4:
        frames += reader.feed(sock.recv(65536))
    sock.close()

    assert frames[1].reply_text == "-ERR command not found"
    assert frames[2].reply_text == "+OK accepted"
    assert frames[3].reply_text.startswith("FreeSWITCH Version")


def test_given_garbage_and_an_oversized_command_then_only_that_client_is_dropped(
    park_emulator: Emulator, esl
):
    healthy = esl()
    rogue = socket.create_connection(("127.0.0.1", park_emulator.port))
    rogue.sendall(b"auth ClueCon\n\n\x00\xff\xfe garbage\n\n")
    rogue.settimeout(5)
    reader = FrameReader()
    frames = []
    while len(frames) < 3:
        frames += reader.feed(rogue.recv(65536))

    rogue.sendall(b"api " + b"x" * (2 * 1024 * 1024))
    rest = read_until_closed(rogue)
    rogue.close()

    assert frames[2].reply_text == "-ERR command not found"
    assert rest == b""
    assert healthy.api("version").startswith("FreeSWITCH Version")


def test_given_sendmsg_with_a_text_body_then_the_body_is_the_application_argument(
    park_emulator: Emulator, esl
):
    client = esl("CHANNEL_EXECUTE_COMPLETE")
    call = park_emulator.place_call("1000")
    call.wait_parked()
    text = "Hello: this line has a colon\\nand a second line"
    body = b"note=" + text.encode()
    client.send(
        f"sendmsg {call.uuid}\ncall-command: execute\nexecute-app-name: set\n"
        f"content-type: text/plain\ncontent-length: {len(body)}\n\n".encode()
        + body
    )

    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", uuid_=call.uuid)

    assert done.headers["Application"] == "set"
    assert done.headers["variable_note"] == text
