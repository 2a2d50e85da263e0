"""The emulator's front end: an ESL server on its own thread, driven from any thread.

:class:`Emulator` runs the emulated switch and its Event Socket server on a private asyncio
loop in a daemon thread, so a test process (or the benchmark) can place scripted calls and
read what the switch received without an event loop of its own. Every public method is
thread-safe. :class:`Call` is a live, thread-safe view of one call.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from kazoo_tasks.esl.emulator import api, apps, bridging, eavesdrop, intercept, sofia
from kazoo_tasks.esl.emulator.channel import PCMU, CallerProfile, Channel
from kazoo_tasks.esl.emulator.conference import Conferences
from kazoo_tasks.esl.emulator.core import Dialplan, Extension, SwitchConfig
from kazoo_tasks.esl.emulator.directory import (
    AuthResult,
    CallRefused,
    Credentials,
    SipRequest,
    authorised_variables,
    directory_for,
    request_params_core,
)
from kazoo_tasks.esl.emulator.endpoints import EndpointRule
from kazoo_tasks.esl.emulator.listener import EslConnection
from kazoo_tasks.esl.emulator.media import MediaCatalog
from kazoo_tasks.esl.emulator.script import (
    Step,
    after,
    attach,
    on_answer,
    on_playback,
)
from kazoo_tasks.esl.emulator.session import Session
from kazoo_tasks.esl.emulator.switch import Switch

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class ReceivedCommand:
    """A command the switch received about a call.

    ``kind`` is ``execute`` or ``hangup`` (``sendmsg``) or ``api`` (``uuid_*`` commands,
    then ``app`` is the command name); ``received_at`` is ``time.perf_counter()``.
    """

    kind: str
    app: str
    args: str
    event_uuid: str
    received_at: float


class Call:
    """A live view of one leg placed or created by the emulator (thread-safe)."""

    def __init__(self, emulator: Emulator, uuid_: str, destination: str) -> None:
        self._emulator = emulator
        self.uuid = uuid_
        self.destination = destination
        self._lock = threading.Condition()
        self._commands: list[ReceivedCommand] = []
        self._events: list[tuple[str, dict[str, str], float]] = []
        self._legs: list[Call] = []
        self.created_at = time.perf_counter()
        self.park_emitted_at: float | None = None
        """``perf_counter()`` when CHANNEL_PARK was fired."""
        self.first_command_at: float | None = None
        """``perf_counter()`` when the first command about this call arrived."""
        self.answered_at: float | None = None
        self.hangup_cause: str | None = None
        self.hungup_at: float | None = None

    # -- fed on the emulator's loop -----------------------------------------------------
    def _on_event(self, session: Session, name: str, headers: dict[str, str]) -> None:
        now = time.perf_counter()
        with self._lock:
            if name == "CHANNEL_PARK" and self.park_emitted_at is None:
                self.park_emitted_at = now
            elif name == "CHANNEL_ANSWER" and self.answered_at is None:
                self.answered_at = now
            elif name == "CHANNEL_HANGUP_COMPLETE":
                self.hangup_cause = session.channel.hangup_cause
                self.hungup_at = now
            self._events.append((name, headers, now))
            self._lock.notify_all()

    def _on_command(self, kind: str, app: str, args: str, event_uuid: str) -> None:
        now = time.perf_counter()
        with self._lock:
            if self.first_command_at is None:
                self.first_command_at = now
            self._commands.append(ReceivedCommand(kind, app, args, event_uuid, now))
            self._lock.notify_all()

    def _add_leg(self, leg: Call) -> None:
        with self._lock:
            self._legs.append(leg)
            self._lock.notify_all()

    # -- read from anywhere -------------------------------------------------------------
    @property
    def commands(self) -> list[ReceivedCommand]:
        """Every command the switch received about this call, in order."""
        with self._lock:
            return list(self._commands)

    @property
    def events(self) -> list[str]:
        """Names of the events fired on this leg, in order."""
        with self._lock:
            return [name for name, _, _ in self._events]

    def event_headers(self, name: str) -> list[dict[str, str]]:
        """The event-specific headers (``Application``, ``DTMF-Digit`` ...) of each ``name``."""
        with self._lock:
            return [dict(headers) for n, headers, _ in self._events if n == name]

    @property
    def applications(self) -> list[tuple[str, str]]:
        """``(app, args)`` of each ``sendmsg execute`` received, in order."""
        return [(c.app, c.args) for c in self.commands if c.kind == "execute"]

    @property
    def legs(self) -> list[Call]:
        """Outbound legs this call's bridges created."""
        with self._lock:
            return list(self._legs)

    @property
    def is_up(self) -> bool:
        with self._lock:
            return self.hangup_cause is None

    def _wait(self, predicate: Callable[[], T | None], timeout: float, what: str) -> T:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                value = predicate()
                if value is not None:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"call {self.uuid}: no {what} within {timeout} s")
                self._lock.wait(remaining)

    def wait_hangup(self, timeout: float = 10.0) -> str:
        """Wait for CHANNEL_HANGUP_COMPLETE; returns the hangup cause."""
        return self._wait(lambda: self.hangup_cause, timeout, "hangup")

    def wait_parked(self, timeout: float = 10.0) -> float:
        """Wait for CHANNEL_PARK; returns when it was fired (``perf_counter``)."""
        return self._wait(lambda: self.park_emitted_at, timeout, "CHANNEL_PARK")

    def wait_answered(self, timeout: float = 10.0) -> float:
        """Wait for CHANNEL_ANSWER; returns when it was fired (``perf_counter``)."""
        return self._wait(lambda: self.answered_at, timeout, "CHANNEL_ANSWER")

    def wait_for_command(
        self, app: str | None = None, *, kind: str | None = None, timeout: float = 10.0
    ) -> ReceivedCommand:
        """Wait for the first command matching ``app`` and/or ``kind``."""

        def find() -> ReceivedCommand | None:
            for command in self._commands:
                if (app is None or command.app == app) and (kind is None or command.kind == kind):
                    return command
            return None

        return self._wait(find, timeout, f"command {app or kind or ''}")

    def wait_for_event(self, name: str, *, nth: int = 1, timeout: float = 10.0) -> dict[str, str]:
        """Wait for the ``nth`` event ``name`` of this leg; returns its own headers."""

        def find() -> dict[str, str] | None:
            seen = [headers for n, headers, _ in self._events if n == name]
            return dict(seen[nth - 1]) if len(seen) >= nth else None

        return self._wait(find, timeout, name)

    def wait_for_leg(self, nth: int = 1, *, timeout: float = 10.0) -> Call:
        """Wait for the ``nth`` outbound leg a bridge of this call creates."""
        return self._wait(
            lambda: self._legs[nth - 1] if len(self._legs) >= nth else None, timeout, "outbound leg"
        )

    # -- act ----------------------------------------------------------------------------
    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        """The caller hangs up now."""

        def run(switch: Switch) -> None:
            session = switch.session(self.uuid)
            if session is not None:
                session.channel.set_var("sip_hangup_disposition", "recv_bye")
                session.hangup(cause)

        self._emulator._on_loop(run)

    def press(self, digits: str, *, interval: float = 0.1) -> None:
        """The caller presses ``digits`` now."""
        step = after(0).press(digits, interval=interval)

        def run(switch: Switch) -> None:
            session = switch.session(self.uuid)
            if session is not None:
                attach(session, [step])

        self._emulator._on_loop(run)


@dataclass(frozen=True)
class FloodReport:
    """What :meth:`Emulator.flood` measured."""

    events: int
    pipeline_events: int
    seconds: float
    bytes: int
    listeners: int

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


class Emulator:
    """An emulated FreeSWITCH with an inbound Event Socket, on a thread of its own.

    ``port=0`` picks a free port (read it from :attr:`port` after :meth:`start`);
    ``time_scale`` multiplies every emulated duration (media, sleeps, ringing, script
    waits): 0.01 plays a 2 s prompt in 20 ms.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        password: str = "ClueCon",
        hostname: str | None = None,
        time_scale: float = 1.0,
        dialplan: Dialplan | None = None,
        context: str = "context_2",
        media: MediaCatalog | None = None,
        originate_timeout: float = 60.0,
        max_queued_events: int = 100_000,
        max_lost_events: int = 500,
        heartbeat_interval: float = 20.0,
        directory_url: str | None = None,
    ) -> None:
        config = SwitchConfig(
            password=password,
            time_scale=time_scale,
            context=context,
            originate_timeout=originate_timeout,
            max_queued_events=max_queued_events,
            max_lost_events=max_lost_events,
            heartbeat_interval=heartbeat_interval,
        )
        if hostname:
            config.hostname = hostname
        if dialplan is not None:
            config.dialplan = dialplan
        if media is not None:
            config.media = media
        self.config = config
        self.directory_url = directory_url
        """The ``mod_xml_curl`` directory devices with a password authenticate against."""
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self.switch: Switch | None = None
        self.connections: set[EslConnection] = set()
        self._calls: dict[str, Call] = {}

    # -- life ---------------------------------------------------------------------------
    def start(self) -> Emulator:
        """Start the loop thread and the ESL server; returns self."""
        if self._thread is not None:
            return self
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        loop = asyncio.new_event_loop()
        self._loop = loop

        def main() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._open())
            except BaseException as error:  # report bind errors to the caller
                ready.set_exception(error)
                return
            ready.set_result(None)
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
            loop.close()

        self._thread = threading.Thread(target=main, name="fs-emulator", daemon=True)
        self._thread.start()
        ready.result(timeout=10)
        return self

    async def _open(self) -> None:
        self.switch = Switch(self.config, asyncio.get_running_loop())
        self.switch.applications.load(apps.APPLICATIONS, zombie=apps.ZOMBIE_APPLICATIONS)
        self.switch.applications.load(bridging.APPLICATIONS)
        Conferences(self.switch).install()
        eavesdrop.install(self.switch)
        intercept.install(self.switch)
        api.install_hangup_hook(self.switch)
        self._register_private_api()
        await self._listen()
        asyncio.get_running_loop().create_task(self.switch.run_heartbeats())

    async def _listen(self) -> None:
        assert self.switch is not None
        switch = self.switch
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: EslConnection(switch, self.connections),
            self.host,
            self.port,
            reuse_address=True,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for connection in list(self.connections):
            connection.abort()
        assert self.switch is not None
        tasks = [s.task for s in self.switch.sessions.values() if s.task is not None]
        for task in tasks:
            task.cancel()
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def stop(self) -> None:
        """Drop every connection and call and stop the thread."""
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _on_loop(self, fn: Callable[[Switch], T], timeout: float = 10.0) -> T:
        """Run ``fn(switch)`` on the emulator's loop and return its result."""
        if self._loop is None or self.switch is None:
            raise RuntimeError("emulator not started")
        switch = self.switch
        if threading.current_thread() is self._thread:
            return fn(switch)
        result: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                result.set_result(fn(switch))
            except BaseException as error:
                result.set_exception(error)

        self._loop.call_soon_threadsafe(run)
        return result.result(timeout)

    # -- calls --------------------------------------------------------------------------
    def place_call(
        self,
        destination: str,
        *,
        caller_id_number: str = "+14155550100",
        caller_id_name: str = "Alice Example",
        variables: dict[str, str] | None = None,
        script: Sequence[Step] = (),
        extension: Extension | None = None,
        uuid: str | None = None,
        credentials: Credentials | None = None,
    ) -> Call:
        """A caller dials ``destination``: the call is created and runs the dialplan (park).

        ``script`` says what the caller does (see :mod:`.script`); ``variables`` are set on
        the channel before CHANNEL_CREATE; ``extension`` replaces the dialplan for this call.
        A call from a device (``credentials``) is authenticated against the directory
        first: refused, no channel exists (:class:`CallRefused`); authorised, the
        directory's variables are on the channel.
        """
        steps = list(script)
        if credentials is not None:
            request = SipRequest("INVITE", to_user=destination, request_user=destination)
            result = self.authenticate(credentials, request)
            if not result.authorised:
                raise CallRefused(result)
            variables = {**authorised_variables(credentials, result), **(variables or {})}

        def run(switch: Switch) -> Call:
            session = switch.place_inbound(
                destination,
                caller_id_number=caller_id_number,
                caller_id_name=caller_id_name,
                variables=variables,
                extension=extension,
                uuid_=uuid,
            )
            call = self._track(session, destination)
            if steps:
                attach(session, steps)
            return call

        return self._on_loop(run)

    def place_calls(
        self,
        count: int,
        *,
        rate: float | None = None,
        concurrency: int | None = None,
        destination: str = "1000",
        caller_id_number: str = "+14155550100",
        caller_id_name: str = "Alice Example",
        variables: dict[str, str] | None = None,
        script: Sequence[Step] = (),
        on_placed: Callable[[Call], None] | None = None,
    ) -> concurrent.futures.Future[list[Call]]:
        """Place ``count`` calls at ``rate`` calls/s (``None``: as fast as possible), with at
        most ``concurrency`` of them up at once (``None``: no cap).

        The calls are created on the emulator's loop (no thread hop per call), which is what
        load tests and the benchmark need; ``on_placed`` is called (on that loop) with each
        call as it is placed; the future resolves once all are placed. When the cap holds a
        call back, the schedule restarts from the moment it is placed (no catch-up burst).
        """
        steps = list(script)
        assert self._loop is not None
        if concurrency is not None and concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency}")

        async def generate() -> list[Call]:
            assert self.switch is not None
            switch = self.switch
            loop = asyncio.get_running_loop()
            slots = asyncio.Semaphore(concurrency) if concurrency else None
            calls: list[Call] = []
            next_at = loop.time()
            for index in range(count):
                if slots is not None:
                    held_back = slots.locked()
                    await slots.acquire()
                    if held_back:
                        next_at = max(next_at, loop.time())
                if rate:
                    delay = next_at - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    next_at += 1 / rate
                elif index % 50 == 49:
                    await asyncio.sleep(0)
                session = switch.place_inbound(
                    destination,
                    caller_id_number=caller_id_number,
                    caller_id_name=caller_id_name,
                    variables=variables,
                )
                if slots is not None:
                    session.done.add_done_callback(lambda _f, s=slots: s.release())
                call = self._track(session, destination)
                calls.append(call)
                if steps:
                    attach(session, steps)
                if on_placed is not None:
                    on_placed(call)
            return calls

        return asyncio.run_coroutine_threadsafe(generate(), self._loop)

    def _track(self, session: Session, destination: str) -> Call:
        call = Call(self, session.uuid, destination)
        self._calls[session.uuid] = call
        self._watch(session, call)
        session.done.add_done_callback(lambda _f: self._calls.pop(session.uuid, None))
        return call

    def _watch(self, session: Session, call: Call) -> None:
        """Feed ``call`` the events and commands of ``session`` and of the legs it
        creates."""
        session.observers.append(call._on_event)
        session.command_hooks.append(call._on_command)

        def new_leg(leg_session: Session) -> None:
            profile = leg_session.channel.profile
            leg = Call(self, leg_session.uuid, profile.destination_number if profile else "")
            leg_session.observers.append(leg._on_event)
            leg_session.command_hooks.append(leg._on_command)
            call._add_leg(leg)

        session.leg_hooks.append(new_leg)

    def expect_call(self, uuid_: str, destination: str = "") -> Call:
        """A :class:`Call` watching the channel ``uuid_`` the switch will create (an
        ``originate`` with that ``origination_uuid``), from its first event."""
        call = Call(self, uuid_, destination)

        def watch(switch: Switch) -> None:
            def hook(session: Session) -> None:
                if session.uuid == uuid_:  # every channel of that uuid (a second shows)
                    self._watch(session, call)

            switch.session_hooks.append(hook)

        self._on_loop(watch)
        return call

    def call(self, uuid_: str) -> Call | None:
        """The :class:`Call` of a live call placed by this emulator."""
        return self._calls.get(uuid_)

    @property
    def live_channels(self) -> int:
        """How many channels exist right now."""
        return self._on_loop(lambda switch: len(switch.sessions))

    # -- the far ends -------------------------------------------------------------------
    def set_endpoint(
        self,
        endpoint: str,
        *,
        answer_after: float | tuple[float, float] | None = 0.0,
        busy: bool = False,
        no_answer: bool = False,
        reject: str | int | None = None,
        reject_after: float = 0.0,
        hangup_after: float | None = None,
        early_media: bool = False,
        script: Sequence[Step] = (),
    ) -> None:
        """Say what an outbound endpoint (``user/1001``, ``sofia/...``, a glob) does.

        It rings (180; 183 with ``early_media``) and answers after ``answer_after``
        seconds, or after a random time in an ``(low, high)`` range; ``no_answer`` rings
        until the originate gives up; ``busy`` refuses with 486 Busy Here (USER_BUSY),
        ``reject`` with a SIP status (``486``, ``603``) or a hangup cause, at once or after
        ``reject_after`` seconds of ringing; ``hangup_after`` hangs up that long after
        answering; ``script`` runs on the answered leg. See :class:`EndpointRule`.
        """
        if busy:
            reject = 486
        rule = EndpointRule(
            answer_after=None if no_answer else answer_after,
            reject=reject,
            reject_after=reject_after,
            hangup_after=hangup_after,
            early_media=early_media,
            script=tuple(script),
        )
        self._on_loop(lambda switch: switch.endpoints.set(endpoint, rule))

    def register(
        self,
        user: str,
        *,
        realm: str = "127.0.0.1",
        contact_ip: str = "127.0.0.1",
        contact_port: int = 5062,
        expires: int = 300,
        user_agent: str = "kazoo-tasks-emulator",
        password: str | None = None,
    ) -> int:
        """A device registers: fires ``CUSTOM sofia::register``; returns the SIP status.

        With a ``password`` the device authenticates against the directory first and a
        refusal (403) registers nothing."""
        if password is not None:
            credentials = Credentials(user, password, realm, contact_ip, contact_port, user_agent)
            result = self.authenticate(credentials, SipRequest("REGISTER", to_user=user))
            if not result.authorised:
                return result.status
        self._on_loop(
            lambda switch: switch.register(
                user,
                realm,
                contact_ip=contact_ip,
                contact_port=contact_port,
                expires=expires,
                user_agent=user_agent,
            )
        )
        return 200

    def unregister(
        self, user: str, *, realm: str = "127.0.0.1", password: str | None = None
    ) -> bool:
        """A device unregisters: fires ``CUSTOM sofia::unregister`` (with a ``password``:
        once the directory authorised it, as FreeSWITCH asks again for ``Expires: 0``)."""
        if password is not None:
            credentials = Credentials(user, password, realm)
            if not self.authenticate(credentials, SipRequest("REGISTER", to_user=user)).authorised:
                return False
        return self._on_loop(lambda switch: switch.unregister(user, realm))

    def authenticate(self, credentials: Credentials, request: SipRequest) -> AuthResult:
        """What FreeSWITCH decides for a device's credentialed ``request`` (blocking: the
        directory look-up runs in the calling thread, never on the emulator's loop)."""
        if not self.directory_url:
            raise RuntimeError("no directory URL: Emulator(directory_url=...)")
        url = self.directory_url
        core = self._on_loop(request_params_core)
        directory = self._on_loop(lambda switch: directory_for(switch, url))
        return directory.authenticate(core, credentials, request)

    def set_media(self, pattern: str, seconds: float | None) -> None:
        """Files matching ``pattern`` last ``seconds`` (``None``: they do not exist)."""
        self._on_loop(lambda switch: switch.config.media.set_file(pattern, seconds))

    # -- fault injection ----------------------------------------------------------------
    def cut_connections(self, *, refuse_for: float = 0.0) -> int:
        """Drop every ESL connection now (calls go on); optionally refuse new ones a while.

        Returns how many connections were dropped.
        """

        async def cut() -> int:
            dropped = len(self.connections)
            for connection in list(self.connections):
                connection.abort()
            if refuse_for > 0 and self._server is not None:
                self._server.close()
                await self._server.wait_closed()
                await asyncio.sleep(refuse_for)
                await self._listen()
            return dropped

        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(cut(), self._loop).result(refuse_for + 10)

    def send_raw(self, data: bytes) -> int:
        """Write ``data`` as it is to every connected client (malformed frames, huge
        headers ...); returns how many clients got it."""

        def send(_switch: Switch) -> int:
            for connection in list(self.connections):
                connection.write_raw(data)
            return len(self.connections)

        return self._on_loop(send)

    def flood(
        self, count: int, *, pipeline_share: float = 0.5, timeout: float = 300.0
    ) -> FloodReport:
        """Fire ``count`` events as fast as the listeners' sockets take them.

        Events alternate between ones the call pipeline consumes (CHANNEL_EXECUTE_COMPLETE)
        and ones it does not (CHANNEL_STATE, CODEC, CALL_UPDATE) on a phantom channel
        with real-sized headers; ``pipeline_share`` is the pipeline events' share. Returns
        how long it took until every byte was handed to the kernel.
        """
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(self._flood(count, pipeline_share), self._loop)
        return future.result(timeout)

    async def _flood(self, count: int, pipeline_share: float) -> FloodReport:
        assert self.switch is not None
        switch = self.switch
        channel = _phantom_channel(switch)
        listeners = [c for c in self.connections if c in switch.listeners]
        batch = max(1, min(500, self.config.max_queued_events // 4))
        started = time.perf_counter()
        sent_before = sum(c.bytes_written for c in listeners)
        pipeline = 0
        unneeded = ("CHANNEL_STATE", "CODEC", "CALL_UPDATE")
        credit = 0.0
        for index in range(count):
            credit += pipeline_share
            if credit >= 1.0:
                credit -= 1.0
                pipeline += 1
                switch.fire(
                    "CHANNEL_EXECUTE_COMPLETE",
                    channel=channel,
                    post=[
                        ("Application", "playback"),
                        ("Application-Data", "tone_stream://%(100,0,440)"),
                        ("Application-Response", "FILE PLAYED"),
                        ("Application-UUID", switch.new_uuid()),
                    ],
                )
            else:
                switch.fire(unneeded[index % len(unneeded)], channel=channel)
            if index % batch == batch - 1:
                await _drained(listeners, limit=batch * 2)
        await _drained(listeners, limit=0)
        seconds = time.perf_counter() - started
        sent = sum(c.bytes_written for c in listeners) - sent_before
        return FloodReport(count, pipeline, seconds, sent, len(listeners))

    # -- private api commands (for the CLI) ---------------------------------------------
    def _register_private_api(self) -> None:
        assert self.switch is not None
        self.switch.extra_api.update(
            {
                "emulator_call": self._api_call,
                "emulator_register": self._api_register,
                "emulator_unregister": self._api_unregister,
                "emulator_endpoint": self._api_endpoint,
            }
        )

    def _api_call(self, switch: Switch, args: str) -> str:
        spec = _json_args(args)
        destination = str(spec.get("destination", ""))
        if not destination:
            return "-ERR destination required\n"
        steps: list[Step] = []
        for press in spec.get("press", []):
            when = str(press.get("when", "first-playback"))
            digits = str(press.get("digits", ""))
            if when == "first-playback":
                steps.append(on_playback(1).press(digits))
            elif when == "answer":
                steps.append(on_answer().press(digits))
            else:
                steps.append(after(float(when)).press(digits))
        if spec.get("hangup_after") is not None:
            steps.append(after(float(spec["hangup_after"])).hangup())
        session = switch.place_inbound(
            destination,
            caller_id_number=str(spec.get("caller_id_number", "+14155550100")),
            caller_id_name=str(spec.get("caller_id_name", "Alice Example")),
            variables={str(k): str(v) for k, v in dict(spec.get("variables", {})).items()},
            uuid_=spec.get("uuid"),
        )
        self._track(session, destination)
        if steps:
            attach(session, steps)
        return f"+OK {session.uuid}\n"

    def _api_register(self, switch: Switch, args: str) -> object:
        spec = _json_args(args)
        if spec.get("sip_password") is not None:
            return self._api_register_device(switch, spec)
        switch.register(
            str(spec["user"]),
            str(spec.get("realm", "127.0.0.1")),
            contact_ip=str(spec.get("contact_ip", "127.0.0.1")),
            contact_port=int(spec.get("contact_port", 5062)),
            expires=int(spec.get("expires", 300)),
        )
        return "+OK\n"

    async def _api_register_device(self, switch: Switch, spec: dict[str, Any]) -> str:
        """``emulator_register`` with a SIP password: authenticate, then register."""
        if not self.directory_url:
            return "-ERR no directory URL (emulator serve --directory-url)\n"
        credentials = Credentials(
            str(spec["user"]),
            str(spec["sip_password"]),
            str(spec.get("realm", "127.0.0.1")),
            str(spec.get("contact_ip", "127.0.0.1")),
            int(spec.get("contact_port", 5062)),
        )
        directory = directory_for(switch, self.directory_url)
        core = request_params_core(switch)
        request = SipRequest("REGISTER", to_user=credentials.user)
        result = await asyncio.to_thread(directory.authenticate, core, credentials, request)
        if not result.authorised:
            return f"-ERR {result.status} Forbidden ({result.reason})\n"
        switch.register(
            credentials.user,
            credentials.realm,
            contact_ip=credentials.contact_ip,
            contact_port=credentials.contact_port,
            expires=int(spec.get("expires", 300)),
        )
        return "+OK\n"

    def _api_unregister(self, switch: Switch, args: str) -> str:
        spec = _json_args(args)
        found = switch.unregister(str(spec["user"]), str(spec.get("realm", "127.0.0.1")))
        return "+OK\n" if found else "-ERR not registered\n"

    def _api_endpoint(self, switch: Switch, args: str) -> str:
        spec = _json_args(args)
        reject = spec.get("reject")
        if spec.get("busy"):
            reject = 486
        answer_after = spec.get("answer_after", 0.0)
        if isinstance(answer_after, list):
            answer_after = (float(answer_after[0]), float(answer_after[1]))
        elif answer_after is not None:
            answer_after = float(answer_after)
        rule = EndpointRule(
            answer_after=None if spec.get("no_answer") else answer_after,
            reject=str(reject) if reject else None,
            reject_after=float(spec.get("reject_after", 0.0)),
            early_media=bool(spec.get("early_media", False)),
            hangup_after=float(spec["hangup_after"])
            if spec.get("hangup_after") is not None
            else None,
        )
        switch.endpoints.set(str(spec["endpoint"]), rule)
        return "+OK\n"


def _json_args(args: str) -> dict[str, Any]:
    try:
        value = json.loads(args or "{}")
    except json.JSONDecodeError as error:
        raise ValueError(f"bad JSON argument: {error}") from error
    if not isinstance(value, dict):
        raise ValueError("JSON argument must be an object")
    return value


STALL_SECONDS = 0.5
"""A listener that took no bytes for this long is stalled: the flood goes on without it
(its queue fills, events are lost and it gets killed, as with FreeSWITCH)."""


async def _drained(listeners: list[EslConnection], *, limit: int) -> None:
    """Wait until every live, progressing listener has at most ``limit`` events queued (at
    0: and an empty socket buffer)."""
    loop = asyncio.get_running_loop()
    while True:
        now = loop.time()
        busy = [
            c
            for c in listeners
            if not c.closed
            and now - c.last_progress < STALL_SECONDS
            and (
                len(c.pending) > limit
                or (limit == 0 and c.transport is not None and c.transport.get_write_buffer_size())
            )
        ]
        if not busy:
            return
        await asyncio.sleep(0.0005)


def _phantom_channel(switch: Switch) -> Channel:
    """A channel that exists only to give flood events real-sized headers."""
    uuid_ = switch.new_uuid()
    caller = sofia.SipCaller(
        number="+14155550100", name="Flood", destination="1000", call_id=f"{uuid_}@flood"
    )
    name = f"sofia/{switch.config.sofia.name}/+14155550100@127.0.0.1:5061"
    profile = CallerProfile(
        direction="inbound",
        logical_direction="inbound",
        username="+14155550100",
        dialplan="XML",
        caller_id_name="Flood",
        caller_id_number="+14155550100",
        orig_caller_id_name="Flood",
        orig_caller_id_number="+14155550100",
        network_addr="127.0.0.1",
        ani="+14155550100",
        destination_number="1000",
        uuid=uuid_,
        source="mod_sofia",
        context=switch.config.context,
        chan_name=name,
        profile_index="1",
    )
    channel = Channel(uuid_, name, "inbound", profile, hit_dialplan=True)
    channel.running_state = channel.state = "CS_EXECUTE"
    channel.callstate = "ACTIVE"
    channel.answered = True
    channel.read_codec = channel.write_codec = PCMU
    channel.set_vars(sofia.inbound_created(uuid_, 0, name, caller, switch.config.sofia))
    return channel
