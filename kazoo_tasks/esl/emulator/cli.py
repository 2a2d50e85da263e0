"""``kazoo-tasks emulator ...``: run the FreeSWITCH emulator and drive it from a shell.

``serve`` runs it in the foreground. ``call``, ``register``, ``unregister`` and ``endpoint``
talk to a running emulator over Event Socket, with the emulator's private ``api
emulator_*`` commands (a real FreeSWITCH answers those ``-ERR ... Command not found!``).
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import uuid

import click

from kazoo_tasks.config import get_settings
from kazoo_tasks.esl.emulator.client import EslClient, EslError

WATCHED_EVENTS = (
    "CHANNEL_PARK",
    "CHANNEL_ANSWER",
    "CHANNEL_EXECUTE",
    "CHANNEL_EXECUTE_COMPLETE",
    "DTMF",
    "CHANNEL_BRIDGE",
    "CHANNEL_UNBRIDGE",
    "CHANNEL_HANGUP_COMPLETE",
    "CUSTOM",
    "emulator::command",
)


def _connection_options(command: click.Command) -> click.Command:
    """``--host``, ``--port`` and ``--password`` of the emulator (defaults: settings)."""
    for option in (
        click.option(
            "--password",
            default=lambda: get_settings().emulator_password,
            show_default="settings",
            help="Event Socket password.",
        ),
        click.option(
            "--port",
            default=lambda: get_settings().emulator_port,
            show_default="settings",
            type=int,
        ),
        click.option(
            "--host", default=lambda: get_settings().emulator_host, show_default="settings"
        ),
    ):
        command = option(command)
    return command


def _connect(host: str, port: int, password: str) -> EslClient:
    try:
        return EslClient(host, port, password, timeout=10)
    except (OSError, EslError) as error:
        raise click.ClickException(f"cannot reach the emulator at {host}:{port}: {error}") from None


def private_api(host: str, port: int, password: str, command: str, spec: dict[str, object]) -> str:
    """Run one of the emulator's private API commands (``emulator_register``...) over ESL;
    raises ``click.ClickException`` with its answer unless it is ``+OK``."""
    with _connect(host, port, password) as client:
        reply = client.api(f"{command} {json.dumps(spec)}")
    if not reply.startswith("+OK"):
        raise click.ClickException(reply.strip())
    return reply.strip()


@click.group()
def emulator() -> None:
    """The FreeSWITCH emulator: serve it, place scripted calls, register devices."""


@emulator.command()
@click.option("--host", default=lambda: get_settings().emulator_host, show_default="settings")
@click.option(
    "--port", default=lambda: get_settings().emulator_port, type=int, show_default="settings"
)
@click.option(
    "--password", default=lambda: get_settings().emulator_password, show_default="settings"
)
@click.option(
    "--time-scale",
    default=lambda: get_settings().emulator_time_scale,
    type=float,
    show_default="settings",
    help="Multiply every emulated duration (0.01 plays a 2 s prompt in 20 ms).",
)
@click.option("--hostname", default=None, help="FreeSWITCH-Hostname of events (default: host).")
@click.option(
    "--directory-url",
    default=lambda: get_settings().emulator_directory_url,
    show_default="settings",
    help="mod_xml_curl directory URL devices registering with a password are checked against.",
)
def serve(
    host: str,
    port: int,
    password: str,
    time_scale: float,
    hostname: str | None,
    directory_url: str | None,
) -> None:
    """Run an emulated FreeSWITCH with an inbound Event Socket until interrupted."""
    from kazoo_tasks.esl.emulator import Emulator

    emu = Emulator(
        host=host,
        port=port,
        password=password,
        time_scale=time_scale,
        hostname=hostname,
        directory_url=directory_url,
    )
    try:
        emu.start()
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from None
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    click.echo(f"emulated FreeSWITCH listening on {host}:{emu.port} (time scale {time_scale})")
    sys.stdout.flush()
    stop.wait()
    emu.stop()
    click.echo("emulator stopped")


def _describe(event_name: str, headers: dict[str, str]) -> str | None:
    if event_name == "emulator::command":
        kind, app = headers.get("Command-Kind", ""), headers.get("Application", "")
        args = headers.get("Application-Data", "")
        return f"received {kind} {app} {args}".rstrip()
    if event_name == "CHANNEL_PARK":
        return "parked (ringing, waiting for a controller)"
    if event_name == "CHANNEL_ANSWER":
        return "answered"
    if event_name == "CHANNEL_EXECUTE":
        app, data = headers.get("Application", ""), headers.get("Application-Data", "")
        return f"executing {app} {data}".rstrip()
    if event_name == "CHANNEL_EXECUTE_COMPLETE":
        app, response = headers.get("Application", ""), headers.get("Application-Response", "")
        return f"completed {app} -> {response}"
    if event_name == "DTMF":
        return f"caller pressed {headers.get('DTMF-Digit', '')}"
    if event_name == "CHANNEL_BRIDGE":
        return f"bridged to {headers.get('Other-Leg-Unique-ID', '')}"
    if event_name == "CHANNEL_UNBRIDGE":
        return "unbridged"
    if event_name == "CHANNEL_HANGUP_COMPLETE":
        return f"hung up: {headers.get('Hangup-Cause', '')}"
    return None


@emulator.command()
@click.argument("destination")
@click.option("--from", "caller_number", default="+14155550100", show_default=True)
@click.option("--name", "caller_name", default="Emulated Caller", show_default=True)
@click.option("--press", multiple=True, help="DTMF digits to press (repeatable).")
@click.option(
    "--when",
    multiple=True,
    help="When to press the --press of the same position: first-playback (default), "
    "answer, or seconds after the call starts.",
)
@click.option("--hangup-after", type=float, default=None, help="Hang up after N seconds.")
@click.option("--var", "variables", multiple=True, help="Channel variable k=v (repeatable).")
@click.option("--timeout", type=float, default=600.0, show_default=True)
@_connection_options
def call(
    destination: str,
    caller_number: str,
    caller_name: str,
    press: tuple[str, ...],
    when: tuple[str, ...],
    hangup_after: float | None,
    variables: tuple[str, ...],
    timeout: float,
    host: str,
    port: int,
    password: str,
) -> None:
    """Place a scripted call to DESTINATION and print what happens until it hangs up."""
    presses = []
    for index, digits in enumerate(press):
        moment = when[index] if index < len(when) else "first-playback"
        if moment not in ("first-playback", "answer"):
            try:
                float(moment)
            except ValueError:
                raise click.BadParameter(f"--when {moment!r}", param_hint="--when") from None
        presses.append({"digits": digits, "when": moment})
    channel_vars = {}
    for item in variables:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not k=v", param_hint="--var")
        channel_vars[key] = value
    call_uuid = str(uuid.uuid4())
    spec = {
        "uuid": call_uuid,
        "destination": destination,
        "caller_id_number": caller_number,
        "caller_id_name": caller_name,
        "variables": channel_vars,
        "press": presses,
        "hangup_after": hangup_after,
    }
    with _connect(host, port, password) as client:
        client.command(f"filter Unique-ID {call_uuid}")
        client.subscribe(*WATCHED_EVENTS)
        reply = client.api(f"emulator_call {json.dumps(spec)}")
        if not reply.startswith("+OK"):
            raise click.ClickException(reply.strip())
        click.echo(f"call {call_uuid}: {caller_number} -> {destination}")
        while True:
            try:
                event = client.next_event(timeout)
            except EslError as error:
                raise click.ClickException(str(error)) from None
            if event is None:
                raise click.ClickException(f"no hangup within {timeout} s")
            name = event.headers.get("Event-Subclass", event.name)
            line = _describe(name, event.headers)
            if line:
                click.echo(f"  {line}")
                sys.stdout.flush()
            if name == "CHANNEL_HANGUP_COMPLETE":
                return


@emulator.command()
@click.argument("user")
@click.option("--realm", default="127.0.0.1", show_default=True)
@click.option("--contact-ip", default="127.0.0.1", show_default=True)
@click.option("--contact-port", type=int, default=5062, show_default=True)
@click.option("--expires", type=int, default=300, show_default=True)
@click.option(
    "--sip-password",
    default=None,
    help="The device's SIP password: authenticate against the directory (403: refused).",
)
@_connection_options
def register(
    user: str,
    realm: str,
    contact_ip: str,
    contact_port: int,
    expires: int,
    sip_password: str | None,
    host: str,
    port: int,
    password: str,
) -> None:
    """Register USER (fires CUSTOM sofia::register)."""
    spec = {
        "user": user,
        "realm": realm,
        "contact_ip": contact_ip,
        "contact_port": contact_port,
        "expires": expires,
        "sip_password": sip_password,
    }
    private_api(host, port, password, "emulator_register", spec)
    click.echo(f"registered {user}@{realm} at {contact_ip}:{contact_port}")


@emulator.command()
@click.argument("user")
@click.option("--realm", default="127.0.0.1", show_default=True)
@_connection_options
def unregister(user: str, realm: str, host: str, port: int, password: str) -> None:
    """Unregister USER (fires CUSTOM sofia::unregister)."""
    private_api(host, port, password, "emulator_unregister", {"user": user, "realm": realm})
    click.echo(f"unregistered {user}@{realm}")


@emulator.command()
@click.argument("endpoint")
@click.option("--answer-after", type=float, default=0.0, show_default=True)
@click.option("--busy", is_flag=True, help="Refuse with 486 Busy Here (USER_BUSY).")
@click.option("--no-answer", is_flag=True, help="Ring until the originate times out.")
@click.option("--reject", default=None, help="Refuse with this SIP status or hangup cause.")
@click.option("--early-media", is_flag=True, help="Send 183 with media instead of 180.")
@click.option("--hangup-after", type=float, default=None, help="Hang up N s after answering.")
@_connection_options
def endpoint(
    endpoint: str,
    answer_after: float,
    busy: bool,
    no_answer: bool,
    reject: str | None,
    early_media: bool,
    hangup_after: float | None,
    host: str,
    port: int,
    password: str,
) -> None:
    """Say what outbound legs to ENDPOINT (user/1001, sofia/..., a glob) do."""
    spec = {
        "endpoint": endpoint,
        "answer_after": answer_after,
        "busy": busy,
        "no_answer": no_answer,
        "reject": reject,
        "early_media": early_media,
        "hangup_after": hangup_after,
    }
    private_api(host, port, password, "emulator_endpoint", spec)
    if busy or reject:
        click.echo(f"{endpoint}: rejects with {reject or 'USER_BUSY'}")
    elif no_answer:
        click.echo(f"{endpoint}: rings, never answers")
    else:
        click.echo(f"{endpoint}: answers after {answer_after} s")
