"""``kazoo-tasks run``: the whole system on one machine, on embedded defaults.

It starts the embedded services, seeds the demo account, then runs every role of the
``Procfile`` under honcho's process manager (one stops → all stop) and, once the API
answers, prints what to try next.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from pathlib import Path

import click
from honcho.environ import parse_procfile
from honcho.manager import Manager

from callflow.router import is_did
from kazoo_tasks.config import Settings, get_settings
from kazoo_tasks.seed import seed_demo
from kazoo_tasks.services import broker_url, redis_url

PROCFILE = Path(__file__).resolve().parent.parent / "Procfile"
READY_TIMEOUT = 60.0


def procfile_roles(path: Path = PROCFILE) -> dict[str, str]:
    """The roles of the Procfile: name → command."""
    if not path.exists():
        raise click.ClickException(f"no Procfile at {path}: run from a source checkout")
    return dict(parse_procfile(path.read_text()).processes)


def local_roles(settings: Settings) -> dict[str, str]:
    """The roles a local run starts: all of them, minus the embedded services that real
    servers replace when they are configured."""
    roles = procfile_roles()
    if settings.redis_url and settings.broker_url:
        roles.pop("embedded", None)
    return roles


def _wait_for_port(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.25)
    return False


def next_steps(settings: Settings, demo: dict[str, object]) -> str:
    """What a newcomer can do once everything runs."""
    api = f"http://{settings.api_host}:{settings.api_port}"
    numbers = [str(n) for n in demo["numbers"]]  # type: ignore[attr-defined]
    did = next((n for n in numbers if is_did(n)), None)
    carrier_call = (
        f"\nor as a carrier would (a DID: no account variable, the numbers database finds it):"
        f"\n  .venv/bin/kazoo-tasks emulator call {did} --from +14155550100"
        if did
        else ""
    )
    return f"""
================================================================================
kazoo-tasks is running (data in {settings.data_dir}).

Demo account: {demo["account_name"]} ({demo["account_id"]})
  numbers: {", ".join(numbers)}

Place a call through the FreeSWITCH emulator (in another terminal, same directory), as
one of the account's phones would (it carries the account):
  .venv/bin/kazoo-tasks emulator call {numbers[0]} --from +14155550100 \\
      --var ecallmgr_Account-ID={demo["account_id"]}{carrier_call}

Browse the API: {api}/v2/docs  (Authorize with a token from PUT /v2/api_auth)
  curl -s -X PUT {api}/v2/api_auth -d '{{"data": {{"api_key": "{demo["api_key"]}"}}}}'

Stop everything with Ctrl-C.
================================================================================
"""


@click.command()
def command() -> None:
    """Run every role locally (embedded defaults, the FreeSWITCH emulator, a demo account)."""
    settings = get_settings()
    roles = local_roles(settings)
    redis_url(settings), broker_url(settings)  # start the embedded Redis before anyone needs it
    demo = seed_demo(settings)
    click.echo("demo account: " + json.dumps(demo))
    manager = Manager()
    env = dict(os.environ)
    # the Procfile says `kazoo-tasks ...`: make it this installation's, virtualenv or not
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    for name, cmd in roles.items():
        manager.add_process(name, cmd, env=env)

    def announce() -> None:
        if _wait_for_port(settings.api_host, settings.api_port, READY_TIMEOUT):
            click.echo(next_steps(settings, demo))
        else:
            click.echo(f"the API did not come up on port {settings.api_port}; see its log above")

    threading.Thread(target=announce, daemon=True).start()
    manager.loop()
    sys.exit(manager.returncode)
