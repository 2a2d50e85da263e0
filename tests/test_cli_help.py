"""``kazoo-tasks --help`` lists every command without importing (or patching) anything."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from kazoo_tasks.cli import COMMANDS, SUMMARIES
from tests.conftest import TEST_BROKER_URL, TEST_REDIS_URL


def test_given_the_summaries_when_compared_with_the_commands_then_each_says_what_its_command_says():  # noqa: E501
    # in a process of its own: loading ecallmgr's command monkey-patches with gevent
    probe = (
        "import json\n"
        "from kazoo_tasks.cli import COMMANDS, load_command\n"
        "print(json.dumps({n: load_command(n).get_short_help_str(limit=1000) for n in COMMANDS}))"
    )
    # gevent's patch_all (ecallmgr's import) walks every object, Celery's lazy proxies
    # among them, which configures the app: real services, or it starts an embedded Redis
    env = {**os.environ, "KAZOO_REDIS_URL": TEST_REDIS_URL, "KAZOO_BROKER_URL": TEST_BROKER_URL}
    done = subprocess.run(
        [sys.executable, "-P", "-c", probe], capture_output=True, text=True, timeout=120, env=env
    )

    assert done.returncode == 0, done.stderr
    assert sorted(SUMMARIES) == sorted(COMMANDS)
    assert json.loads(done.stdout.splitlines()[-1]) == SUMMARIES


def test_given_no_settings_when_help_is_asked_then_it_prints_no_warning_and_imports_no_role():
    probe = (
        "import sys\n"
        "from kazoo_tasks.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('gevent', 'celery', 'flask', 'prometheus_client', 'redis')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
    done = subprocess.run(
        [sys.executable, "-P", "-W", "default", "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )

    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stdout
    assert "Warning" not in done.stderr, done.stderr
    assert "ecallmgr" in done.stdout
