"""``kazoo-tasks emulator ...`` against a served emulator (a real subprocess on a free port)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kazoo_tasks.esl.emulator.client import EslClient
from tests.child_processes import stop

KAZOO_TASKS = str(Path(sys.executable).with_name("kazoo-tasks"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KAZOO_TASKS, "emulator", *args], capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def served() -> Iterator[int]:
    """``kazoo-tasks emulator serve`` on a free port; terminated afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [KAZOO_TASKS, "emulator", "serve", "--port", str(port), "--time-scale", "0.02"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert "listening on" in line, line
        yield port
    finally:
        stop(process)
    assert process.returncode == 0


def control(port: int, seen: list[str]) -> None:
    """A minimal controller: answer the parked call, play a prompt, hang up after a DTMF."""
    with EslClient("127.0.0.1", port, timeout=10) as client:
        client.subscribe("CHANNEL_PARK", "DTMF")
        park = client.wait_event("CHANNEL_PARK")
        uuid_ = park.headers["Unique-ID"]
        seen.append(park.headers["variable_ecallmgr_Account-ID"])
        client.api(f"uuid_answer {uuid_}")
        client.execute(uuid_, "playback", "/prompts/welcome.wav", event_uuid="p-1")
        dtmf = client.wait_event("DTMF", uuid_=uuid_)
        seen.append(dtmf.headers["DTMF-Digit"])
        client.api(f"uuid_kill {uuid_}")


def test_given_a_served_emulator_when_a_call_is_scripted_then_the_cli_prints_what_happened(served):
    seen: list[str] = []
    controller = threading.Thread(target=control, args=(served, seen))
    controller.start()

    result = run_cli(
        "call",
        "1000",
        "--from",
        "+14155550100",
        "--name",
        "Alice",
        "--press",
        "1",
        "--when",
        "first-playback",
        "--hangup-after",
        "30",
        "--var",
        "ecallmgr_Account-ID=acc-42",
        "--port",
        str(served),
    )
    controller.join(10)

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "+14155550100 -> 1000" in out
    assert "parked" in out
    assert "received api uuid_answer" in out
    assert "received execute playback /prompts/welcome.wav" in out
    assert "caller pressed 1" in out
    assert out.rstrip().endswith("hung up: NORMAL_CLEARING")
    assert seen == ["acc-42", "1"]


def test_given_register_and_endpoint_commands_then_the_emulator_knows_the_device(served):
    registered = run_cli("register", "1001", "--realm", "demo.local", "--port", str(served))
    rule = run_cli("endpoint", "user/1001", "--answer-after", "2", "--port", str(served))

    assert registered.returncode == 0 and "registered 1001@demo.local" in registered.stdout
    assert rule.returncode == 0 and "answers after 2.0 s" in rule.stdout
    with EslClient("127.0.0.1", served) as client:
        rows = json.loads(client.api("show registrations as json"))
        answer = client.api("originate user/1001@demo.local &park()")
    assert rows["rows"][0]["reg_user"] == "1001"
    assert answer.startswith("+OK ")


def test_given_a_busy_endpoint_then_originate_fails_with_user_busy(served):
    assert run_cli("endpoint", "user/1002", "--busy", "--port", str(served)).returncode == 0

    with EslClient("127.0.0.1", served) as client:
        assert client.api("originate user/1002@demo.local &park()") == "-ERR USER_BUSY\n"


def test_given_no_emulator_then_the_cli_says_it_cannot_reach_it():
    result = run_cli("call", "1000", "--port", str(free_port()))

    assert result.returncode != 0
    assert "cannot reach the emulator" in result.stderr


def test_given_a_wrong_password_then_the_cli_reports_the_refusal(served):
    result = run_cli("register", "1001", "--port", str(served), "--password", "nope")

    assert result.returncode != 0
    assert "auth refused" in result.stderr
