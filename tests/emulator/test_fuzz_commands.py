"""The emulator's command parser under hostile input (hypothesis): whatever a client
sends, the emulator answers or hangs up on that client, and keeps serving others."""

from __future__ import annotations

import socket

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kazoo_tasks.esl.emulator import Emulator

COMMANDS = st.lists(
    st.one_of(
        st.binary(max_size=300),
        st.sampled_from(
            [
                b"api ",
                b"bgapi ",
                b"sendmsg ",
                b"event plain ALL",
                b"filter ",
                b"uuid_kill ",
                b"originate {",
                b"}",
                b"[",
                b"]",
                b"call-command: execute\n",
                b"\n",
                b"execute-app-name: ",
                b"Content-Length: 5\n",
                b"%0A",
                b"\x00",
                b"exit",
            ]
        ),
    ),
    min_size=1,
    max_size=12,
).map(b"".join)


def _greeting_and_auth(sock: socket.socket) -> bytes:
    sock.recv(4096)
    sock.sendall(b"auth ClueCon\n\n")
    return sock.recv(4096)


def test_given_hostile_commands_when_sent_then_the_emulator_survives_and_serves_others():
    with Emulator(time_scale=0.02) as emu:

        @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
        @given(payload=COMMANDS)
        def send(payload: bytes) -> None:
            with socket.create_connection(("127.0.0.1", emu.port), timeout=2) as sock:
                _greeting_and_auth(sock)
                try:
                    sock.sendall(payload + b"\n\n")
                    sock.settimeout(0.3)
                    sock.recv(65536)
                except OSError:
                    pass  # the emulator may close on garbage, as FreeSWITCH does
            with socket.create_connection(("127.0.0.1", emu.port), timeout=2) as other:
                assert b"+OK accepted" in _greeting_and_auth(other)

        send()
        call = emu.place_call("1000")
        call.wait_parked(timeout=10)  # and it still runs calls
