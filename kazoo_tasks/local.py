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
from typing import Any

import click
from honcho.environ import parse_procfile
from honcho.manager import Manager

from callflow.router import is_did
from kazoo_tasks.config import Settings, get_settings
from kazoo_tasks.demo_company import PHONES
from kazoo_tasks.docstore import account_db
from kazoo_tasks.esl.emulator.cli import private_api
from kazoo_tasks.keys import registration_key
from kazoo_tasks.seed import seed_demo
from kazoo_tasks.services import broker_url, document_store, redis_client, redis_url

PROCFILE = Path(__file__).resolve().parent.parent / "Procfile"
READY_TIMEOUT = 60.0
DEMO_REGISTRATION_SECONDS = 7 * 24 * 3600


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

The demo company (time of day → menu → ring group → voicemail) answers {demo["company_number"]}:
press 1 for sales (Sally answers after 2 s, Sam's phone rings), 2 for support (Sue is
busy: voicemail), 0 for the front desk; no key: voicemail. Watch the branches as they run:
  .venv/bin/kazoo-tasks emulator call {demo["company_number"]} --from +14155550100 \\
      --var ecallmgr_Account-ID={demo["account_id"]} --press 1 --when first-playback
Check the mailbox: call {demo["check_voicemail"]} (PIN {demo["mailbox_pin"]}).
The help line {demo["queue_number"]} is a call-center queue: Quinn and Reed (logged in) take
its callers one at a time; watch them with GET .../agents/status and .../queues/stats
(docs/acdc.md):
  .venv/bin/kazoo-tasks emulator call {demo["queue_number"]} --from +14155550100 \\
      --var ecallmgr_Account-ID={demo["account_id"]}
Each call's trace (routing, branches, who answered) is in its CDR:
  curl -s -H "X-Auth-Token: $TOKEN" {api}/v2/accounts/{demo["account_id"]}/cdrs

Browse the API: {api}/v2/docs  (Authorize with a token from PUT /v2/api_auth)
  curl -s -X PUT {api}/v2/api_auth -d '{{"data": {{"api_key": "{demo["api_key"]}"}}}}'

Stop everything with Ctrl-C.
================================================================================
"""


def register_demo_phones(settings: Settings, realm: str, timeout: float = READY_TIMEOUT) -> None:
    """Register the demo company's phones with the emulator and say what each far end
    does, until their registrations are in Redis (ecallmgr may still be connecting)."""
    emulator = (settings.emulator_host, settings.emulator_port, settings.emulator_password)
    client = redis_client(settings)
    deadline = time.monotonic() + timeout
    for phone in PHONES:
        private_api(
            *emulator,
            "emulator_endpoint",
            {"endpoint": f"sofia/*/{phone.username}@*", **phone.rule},
        )
    while True:
        for phone in PHONES:
            spec = {
                "user": phone.username,
                "realm": realm,
                "contact_port": 5100 + PHONES.index(phone),
            }
            private_api(*emulator, "emulator_register", spec)
        time.sleep(0.5)
        keys = [registration_key(settings.namespace, realm, p.username) for p in PHONES]
        if all(client.exists(key) for key in keys):
            return
        if time.monotonic() > deadline:
            raise TimeoutError("the phones' registrations did not reach Redis")


def log_in_demo_agents(settings: Settings, demo: dict[str, Any]) -> None:
    """The demo queue's agents log in (as a supervisor would through the API)."""
    from acdc.queue import Queues
    from acdc.service import act

    store = document_store(settings)
    try:
        queues = Queues(redis_client(settings), settings.namespace, str(demo["account_id"]))
        for agent_id in demo["agents"]:
            act(queues, agent_id, "login", store.get(account_db(str(demo["account_id"])), agent_id))
    finally:
        store.close()


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
        if not _wait_for_port(settings.api_host, settings.api_port, READY_TIMEOUT):
            click.echo(f"the API did not come up on port {settings.api_port}; see its log above")
            return
        try:
            register_demo_phones(settings, str(demo["realm"]))
        except (click.ClickException, OSError, TimeoutError) as exc:
            click.echo(f"the demo phones could not register with the emulator: {exc}")
        log_in_demo_agents(settings, demo)
        click.echo(next_steps(settings, demo))

    threading.Thread(target=announce, daemon=True).start()
    manager.loop()
    sys.exit(manager.returncode)
