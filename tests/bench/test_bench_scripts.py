"""The benchmark scripts under scripts/ still run: each answers ``--help`` (its imports
resolve against today's code), and the ESL reader benchmark runs a short burst through a
real ecallmgr and prints its JSON line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
WITH_HELP = sorted([*SCRIPTS.glob("bench_*.py"), SCRIPTS / "measure_upload_rss.py"])


@pytest.mark.parametrize("script", WITH_HELP, ids=lambda path: path.name)
def test_given_a_benchmark_script_when_asked_for_help_then_it_answers(script: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "usage" in done.stdout.lower()


@pytest.mark.long
def test_given_a_short_burst_when_the_ecallmgr_bench_runs_then_every_needed_event_is_published(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / "bench_ecallmgr.py"), "--events", "500"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["dropped"] == 0
    assert result["published"] == result["needed"] > 0
