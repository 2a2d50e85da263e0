"""The long commands draw a progress bar on a terminal and nothing else in CI or into a
pipe: ``kazoo-tasks seed demo`` and a short ``kazoo-tasks bench``, run as subprocesses
with and without a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.conftest import TEST_BROKER_URL, TEST_REDIS_URL

KAZOO_TASKS = str(Path(sys.executable).with_name("kazoo-tasks"))
BAR = "━"  # rich's bar segment
SHORT_BENCH = ["bench", "--calls", "5", "--rate", "20", "--warm-up", "0", "--floor-samples", "2"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAZOO_") and k != "CI"}
    env.update(KAZOO_DATA_DIR=str(tmp_path / "data"), COLUMNS="100", TERM="xterm", **extra)
    return env


def _run_on_a_terminal(args: list[str], env: dict[str, str], timeout: float = 240) -> str:
    """Run ``kazoo-tasks args`` with stdout and stderr on a pseudo-terminal; its output."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [KAZOO_TASKS, *args], stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    chunks = []
    try:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the last holder of the terminal closed it
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
        assert process.wait(timeout) == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")


def test_given_a_pipe_when_seeding_the_demo_then_no_bar_only_the_json_line(tmp_path):
    done = subprocess.run(
        [KAZOO_TASKS, "seed", "demo"], env=_env(tmp_path), capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert '"account_id"' in done.stdout
    assert BAR not in done.stderr + done.stdout
    assert "\x1b[" not in done.stderr + done.stdout


def test_given_a_terminal_when_seeding_the_demo_then_the_bar_shows(tmp_path):
    shown = _run_on_a_terminal(["seed", "demo"], _env(tmp_path))

    assert BAR in shown
    assert "seed demo: done" in shown and "3/3" in shown
    assert '"account_id"' in shown


def test_given_a_terminal_and_ci_set_when_seeding_the_demo_then_no_bar(tmp_path):
    shown = _run_on_a_terminal(["seed", "demo"], _env(tmp_path, CI="true"))

    assert BAR not in shown
    assert '"account_id"' in shown


def test_given_a_terminal_when_benchmarking_then_the_calls_bar_shows(tmp_path):
    env = _env(tmp_path, KAZOO_BROKER_URL=TEST_BROKER_URL, KAZOO_REDIS_URL=TEST_REDIS_URL)

    shown = _run_on_a_terminal(SHORT_BENCH, env)

    assert BAR in shown
    assert "calls: 0 up" in shown and "5/5" in shown
    assert '"completed": 5' in shown
