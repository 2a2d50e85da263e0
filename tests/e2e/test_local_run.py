"""The README's main command: ``make run`` = ``kazoo-tasks run`` on embedded defaults."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

from kazoo_tasks.local import procfile_roles

BANNER = "kazoo-tasks is running"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_line(log: Path, text: str, process: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        content = log.read_text(errors="replace") if log.exists() else ""
        if text in content:
            return content
        time.sleep(0.25)
    raise AssertionError(f"{text!r} not printed within {timeout}s:\n{log.read_text()[-4000:]}")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_given_nothing_configured_when_kazoo_tasks_run_then_every_role_starts_a_demo_call_completes_and_ctrl_c_stops_everything(  # noqa: E501
    tmp_path,
):
    api_port, esl_port = free_port(), free_port()
    data_dir = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAZOO_")}
    env.update(
        KAZOO_DATA_DIR=str(data_dir),
        KAZOO_NAMESPACE=f"run{uuid.uuid4().hex[:8]}",
        KAZOO_API_PORT=str(api_port),
        KAZOO_EMULATOR_PORT=str(esl_port),
        KAZOO_FREESWITCH_NODES=f"esl://:ClueCon@127.0.0.1:{esl_port}/fs1",
        KAZOO_EMULATOR_TIME_SCALE="0.1",
        PYTHONUNBUFFERED="1",
    )
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        run = subprocess.Popen(
            [sys.executable, "-m", "kazoo_tasks", "run"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        output = wait_for_line(log, BANNER, run, timeout=120)
        for role in procfile_roles():  # honcho announces each one
            assert f"{role} started (pid=" in output
        demo = json.loads(output.split("demo account: ", 1)[1].splitlines()[0])
        did = next(n for n in demo["numbers"] if n.startswith("+"))

        login = requests.put(
            f"http://127.0.0.1:{api_port}/v2/api_auth",
            json={"data": {"api_key": demo["api_key"]}},
            timeout=10,
        )
        assert login.status_code == 201, login.text
        assert login.json()["auth_token"]

        call = subprocess.run(
            [sys.executable, "-m", "kazoo_tasks", "emulator", "call", did, "--timeout", "60"],
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert call.returncode == 0, call.stderr
        assert "NORMAL_CLEARING" in call.stdout, call.stdout
        assert "playback" in call.stdout, call.stdout

        company = subprocess.run(
            [sys.executable, "-m", "kazoo_tasks", "emulator", "call", demo["company_number"],
             "--var", f"ecallmgr_Account-ID={demo['account_id']}", "--press", "1",
             "--when", "first-playback", "--timeout", "60"],
            env=env, capture_output=True, text=True, timeout=90,
        )  # fmt: skip
        assert company.returncode == 0, company.stderr
        bridges = [line for line in company.stdout.splitlines() if "execute bridge" in line]
        assert bridges and "1101@" in bridges[0] and "1102@" in bridges[0], company.stdout
        assert "NORMAL_CLEARING" in company.stdout, company.stdout

        help_line = subprocess.run(
            [sys.executable, "-m", "kazoo_tasks", "emulator", "call", demo["queue_number"],
             "--var", f"ecallmgr_Account-ID={demo['account_id']}", "--timeout", "60"],
            env=env, capture_output=True, text=True, timeout=90,
        )  # fmt: skip
        assert help_line.returncode == 0, help_line.stderr
        bridges = [line for line in help_line.stdout.splitlines() if "execute bridge" in line]
        assert bridges and re.search(r"130[12]@", bridges[0]), help_line.stdout
        assert "NORMAL_CLEARING" in help_line.stdout, help_line.stdout
    finally:
        os.killpg(run.pid, signal.SIGINT)
        run.wait(60)
    redis_pid = (
        int((data_dir / "redis.pid").read_text()) if (data_dir / "redis.pid").exists() else 0
    )
    time.sleep(1)
    assert not redis_pid or not pid_alive(redis_pid), "the embedded redis outlived the run"
    leftovers = subprocess.run(["pgrep", "-g", str(run.pid)], capture_output=True, text=True)
    assert leftovers.stdout.strip() == "", f"processes left: {leftovers.stdout}"
    stopping = log.read_text().split("SIGINT received", 1)[-1]
    assert "cannot release" not in stopping, stopping  # Redis outlived the roles' leases
