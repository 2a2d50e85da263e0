"""docs/callflows.md's worked example works as written: its package (pyproject, module,
tests) is taken from the guide, installed with pip, and its own tests run with pytest
against the whole pipeline through kazoo_tasks.testing's fixtures."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import redis

from kazoo_tasks.embedded.redis_server import SOCKET_NAME, answers_ping, stop_redis
from tests.conftest import TEST_BROKER_URL, TEST_REDIS_URL

DOC = Path(__file__).resolve().parents[2] / "docs" / "callflows.md"
PACKAGE = "cf-rating"


def example_files() -> dict[str, str]:
    """Each code block of the guide whose first line names a file of the package."""
    blocks = re.findall(rf"```\w+\n(# ({PACKAGE}/\S+)\n.*?)```", DOC.read_text(), flags=re.S)
    return {path: body for body, path in blocks}


def test_given_the_worked_example_of_the_guide_when_its_package_is_installed_then_its_own_tests_pass(  # noqa: E501
    tmp_path: Path,
) -> None:
    files = example_files()
    assert sorted(files) == [
        f"{PACKAGE}/cf_rating.py",
        f"{PACKAGE}/pyproject.toml",
        f"{PACKAGE}/tests/conftest.py",
        f"{PACKAGE}/tests/test_rating.py",
    ]
    for path, body in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(body)
    site = tmp_path / "site"
    install = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
    install += ["--target", str(site), str(tmp_path / PACKAGE)]
    installed = subprocess.run(install, capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert list(site.glob("cf_rating-1.0.dist-info/entry_points.txt"))

    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "KAZOO_TEST_BROKER_URL": TEST_BROKER_URL,
        "KAZOO_TEST_REDIS_URL": TEST_REDIS_URL,
        "XDG_STATE_HOME": str(tmp_path / "state"),  # the author's default data directory
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tmp_path / PACKAGE,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout
    default_dir = tmp_path / "state" / "kazoo-tasks"
    left = answers_ping(redis.Redis(unix_socket_path=str(default_dir / SOCKET_NAME)))
    if left:
        stop_redis(default_dir)
    assert not left, "the author's tests left an embedded Redis running in their data directory"
