"""One live channel of the emulated switch: its life cycle and its application queue.

A :class:`Session` plays the part of FreeSWITCH's session thread. It walks the channel
through its states (CS_NEW ... CS_EXECUTE ... CS_DESTROY) firing the events FreeSWITCH
fires, runs the dialplan's applications, and while parked runs the applications that
``sendmsg`` queues, one after the other, in order. Hanging up interrupts the running
application (its CHANNEL_EXECUTE_COMPLETE still comes, after CHANNEL_HANGUP and before
CHANNEL_HANGUP_COMPLETE, as in FreeSWITCH). Everything here runs on the emulator's event
loop; nothing blocks.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from kazoo_tasks.esl.emulator import sofia
from kazoo_tasks.esl.emulator.channel import CALL_STATE_NUMBERS, PCMU, Channel, Codec
from kazoo_tasks.esl.emulator.core import Core
from kazoo_tasks.esl.emulator.events import Pairs

log = logging.getLogger(__name__)

_VARIABLE_REF = re.compile(r"\$\{([^${}]+)\}")

SessionObserver = Callable[["Session", str, dict[str, str]], None]
"""Called on the loop for each event a session fires: (session, event name, its own headers)."""

CommandHook = Callable[[str, str, str, str], None]
"""Called on the loop for each command the switch receives about a session:
(kind, application or api command, arguments, Event-UUID)."""


Application = Callable[["Session", str], Awaitable[None]]
"""A dialplan application: ``app(session, data)`` runs it on the session."""


@dataclass
class ApplicationTable:
    """The applications a switch knows, filled by its modules as FreeSWITCH's are."""

    runs: dict[str, Application] = field(default_factory=dict)
    zombie: set[str] = field(default_factory=set)
    """Applications that still run on a hung-up channel (``SAF_ZOMBIE_EXEC``)."""

    def load(self, applications: Mapping[str, Application], zombie: Iterable[str] = ()) -> None:
        """Register a module's applications (and those of them that run when hung up)."""
        self.runs.update(applications)
        self.zombie.update(zombie)


DtmfListener = Callable[[str], None]
"""Takes each digit the caller presses while an application reads them."""


@dataclass(frozen=True)
class Dtmf:
    """A digit in the channel's DTMF queue: ``duration`` in samples at 8 kHz, ``source``
    ``RTP`` (RFC 2833), ``ENDPOINT`` (SIP INFO), ``INBAND`` or ``APP``."""

    digit: str
    duration: int
    source: str


@dataclass
class Recording:
    """A ``record_session`` media bug: when it started (loop time) and how to stop it."""

    started: float
    stop: Callable[[str], object]
    """Called with the completion cause (``hangup`` when the channel goes)."""


@dataclass
class Message:
    """A ``sendmsg`` queued for a channel (FreeSWITCH's private event)."""

    command: str
    app: str = ""
    arg: str = ""
    event_uuid: str = ""
    loops: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    announce: Pairs = field(default_factory=list)
    """For ``uuid_broadcast``: the COMMAND event that PRIVATE_COMMAND repeats once it ran."""


@dataclass
class LegKind:
    """How a leg shows in variables: a SIP leg (sofia) or a bare one."""

    sip_caller: sofia.SipCaller | None = None
    destination_url: str = ""
    rtp_port: int = 16384


class Session:
    """The behaviour of one channel (see module docstring)."""

    def __init__(
        self, switch: Core, channel: Channel, leg: LegKind, applications: ApplicationTable
    ) -> None:
        self.switch = switch
        self.applications = applications
        self.channel = channel
        self.uuid = channel.uuid
        self.leg = leg
        self.messages: deque[Message] = deque()
        self.parked = False
        self.transfer_to: tuple[str, str] | None = None
        self.redirect: Callable[[], Awaitable[None]] | None = None
        """What the channel does once it leaves its extension (``uuid_bridge``, ``uuid_park``)."""
        self.current_app = ""
        self.last_app = ""
        self.last_arg = ""
        self.partner: Session | None = None
        """The session this one is bridged to."""
        self.bond: Session | None = None
        """The signalling partner (``signal_bond``, or ``originate_signal_bond`` while an
        originate rings): the session a SIP leg tells about its failures and its hangup."""
        self.bridge_originator = False
        self.observers: list[SessionObserver] = []
        self.command_hooks: list[CommandHook] = []
        self.leg_hooks: list[Callable[[Session], None]] = []
        """Called with each outbound leg this channel's bridges create."""
        self.dtmf_queue: deque[Dtmf] = deque()
        self._dtmf_listener: DtmfListener | None = None
        self._dtmf_breaks = False
        self.recordings: dict[str, Recording] = {}
        self.on_destroy: list[Callable[[Session], None]] = []
        """Called once the channel is destroyed (the switch forgets it)."""
        self.created_us = switch.now_us()
        self.ended: asyncio.Future[str] = switch.loop.create_future()
        """Resolved with the hangup cause as the channel hangs up."""
        self.done: asyncio.Future[str] = switch.loop.create_future()
        """Resolved with the hangup cause once the channel is destroyed."""
        self.intercepted: asyncio.Future[str] = switch.loop.create_future()
        """Resolved (with the interceptor's uuid) when ``intercept`` takes this channel
        over: a ``bridge`` it rings ends with PICKED_OFF."""
        self.task: asyncio.Task[None] | None = None
        self._message_waiter: asyncio.Future[None] | None = None
        self._media_waiter: asyncio.Future[str] | None = None

    # -- events -------------------------------------------------------------------------
    def fire(
        self,
        name: str,
        *,
        pre: Pairs = (),  # type: ignore[assignment]
        post: Pairs = (),  # type: ignore[assignment]
        site: str | None = None,
        body: str | None = None,
    ) -> None:
        """Fire a channel event and tell this session's observers."""
        self.switch.fire(
            name, channel=self.channel, pre=list(pre), post=list(post), site=site, body=body
        )
        if self.observers:
            own = dict(post)
            for observer in list(self.observers):
                try:
                    observer(self, name, own)
                except Exception:
                    log.exception("session observer failed on %s", name)

    @property
    def up(self) -> bool:
        """True until the channel hangs up."""
        return not self.channel.hungup

    def set_running_state(self, state: str) -> None:
        """Enter ``state`` and fire CHANNEL_STATE."""
        self.channel.running_state = state
        self.channel.state = state
        self.fire("CHANNEL_STATE")

    def set_callstate(self, callstate: str) -> None:
        """Change the call state and fire CHANNEL_CALLSTATE."""
        original = self.channel.callstate
        self.channel.callstate = callstate
        self.fire(
            "CHANNEL_CALLSTATE",
            pre=[
                ("Original-Channel-Call-State", original),
                ("Channel-Call-State-Number", str(CALL_STATE_NUMBERS[callstate])),
            ],
        )

    def set_codecs(self) -> None:
        """Set the read and write codecs (PCMU), firing a CODEC event for each."""
        self.channel.write_codec = PCMU
        self.set_read_codec(PCMU, site="CODEC_REAL_READ")
        self.fire(
            "CODEC",
            site="CODEC_WRITE",
            post=[
                ("Channel-Write-Codec-Name", PCMU.name),
                ("Channel-Write-Codec-Rate", PCMU.rate),
                ("Channel-Write-codec-bit-rate", PCMU.bit_rate),
            ],
        )

    def set_read_codec(self, codec: Codec, *, site: str = "CODEC") -> None:
        """Read with ``codec`` (``switch_core_session_set_read_codec``): a CODEC event and,
        once the channel has them, ``read_codec``/``read_rate``."""
        self.channel.read_codec = codec
        self.fire(
            "CODEC",
            site=site,
            post=[
                ("channel-read-codec-name", codec.name),
                ("channel-read-codec-rate", codec.rate),
                ("channel-read-codec-bit-rate", codec.bit_rate),
            ],
        )
        if "read_codec" in self.channel.variables:
            self.channel.set_vars([("read_codec", codec.name), ("read_rate", codec.rate)])

    # -- variables ----------------------------------------------------------------------
    def expand(self, text: str) -> str:
        """Expand ``${var}`` references from channel variables, as FreeSWITCH does."""
        if "${" not in text:
            return text
        return _VARIABLE_REF.sub(lambda m: self.channel.get_var(m.group(1)), text)

    # -- waiting and interrupting -------------------------------------------------------
    async def media_wait(self, seconds: float | None, *, since: float | None = None) -> str:
        """Let ``seconds`` of media time pass (``None``: until interrupted), counted from
        now or from ``since`` (a loop time: what happened then is due in deadline order
        even when the loop runs late).

        Returns ``"done"``, or why it was cut short: ``"hangup"``, ``"break"``, ``"dtmf"``,
        ``"unbridge"`` ...
        """
        if self.channel.hungup:
            return "hangup"
        loop = self.switch.loop
        waiter: asyncio.Future[str] = loop.create_future()
        self._media_waiter = waiter
        handle = None
        if seconds is not None:
            start = loop.time() if since is None else since
            handle = loop.call_at(start + self.switch.scaled(seconds), _resolve, waiter, "done")
        try:
            return await waiter
        finally:
            if handle is not None:
                handle.cancel()
            if self._media_waiter is waiter:
                self._media_waiter = None

    async def wait_until(self, future: asyncio.Future[Any]) -> bool:
        """Wait for ``future``; False if the channel hung up first."""
        while not future.done():
            if self.channel.hungup:
                return False
            waiter: asyncio.Future[str] = self.switch.loop.create_future()
            future.add_done_callback(lambda _f, w=waiter: _resolve(w, "ready"))
            self._media_waiter = waiter
            try:
                await waiter
            finally:
                if self._media_waiter is waiter:
                    self._media_waiter = None
        return True

    def interrupt(self, reason: str) -> bool:
        """Cut the current media wait short with ``reason``; False if nothing was waiting."""
        waiter = self._media_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(reason)
            return True
        return False

    def _wake(self) -> None:
        waiter = self._message_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- control from outside (api, sendmsg, scripts) -----------------------------------
    def enqueue(self, message: Message) -> None:
        """Queue a ``sendmsg``; ``call-command: hangup`` takes effect at once."""
        if message.command == "hangup":
            self.hangup(message.headers.get("hangup-cause") or "NORMAL_CLEARING")
            return
        self.messages.append(message)
        self._wake()

    def break_media(self, *, flush: bool = False) -> None:
        """``uuid_break``: stop the media playing now (and, with ``flush``, the queue)."""
        if flush:
            self.messages.clear()
        self.interrupt("break")

    def receive_dtmf(self, digit: str, *, duration: int = 2000, source: str = "APP") -> None:
        """A DTMF digit from the caller joins the channel's queue and is taken at once.

        Taking a digit fires DTMF (FreeSWITCH fires it as ``switch_channel_dequeue_dtmf``
        takes the digit) and hands it to the application listening (:meth:`listening`); a
        parked channel takes and drops it. While a wait only breaks on DTMF
        (:meth:`breaking_on_dtmf`, ``sleep``) the digit breaks it and stays queued, to be
        taken by whatever reads next (the park loop, once the application returned).
        ``duration`` is in samples at 8 kHz (2000 = 250 ms, FreeSWITCH's default).
        """
        if self.channel.hungup:
            return
        self.dtmf_queue.append(Dtmf(digit, duration, source))
        if self._dtmf_breaks:
            self.interrupt("dtmf")
            return
        self.take_dtmf()

    def take_dtmf(self) -> None:
        """Take every queued digit: fire DTMF for each and hand it to the listener."""
        while self.dtmf_queue and not self._dtmf_breaks and not self.channel.hungup:
            dtmf = self.dtmf_queue.popleft()
            self.fire(
                "DTMF",
                post=[
                    ("DTMF-Digit", dtmf.digit),
                    ("DTMF-Duration", str(dtmf.duration)),
                    ("DTMF-Source", dtmf.source),
                ],
            )
            if self._dtmf_listener is not None:
                self._dtmf_listener(dtmf.digit)

    @contextmanager
    def listening(self, listener: DtmfListener) -> Iterator[None]:
        """Hand the caller's digits to ``listener`` while the block runs.

        Digits already queued are handed over as soon as the application waits.
        """
        previous = self._dtmf_listener, self._dtmf_breaks
        self._dtmf_listener, self._dtmf_breaks = listener, False
        if self.dtmf_queue:
            self.switch.loop.call_soon(self._take_for, listener)
        try:
            yield
        finally:
            self._dtmf_listener, self._dtmf_breaks = previous

    def _take_for(self, listener: DtmfListener) -> None:
        if self._dtmf_listener is listener:
            self.take_dtmf()

    @contextmanager
    def breaking_on_dtmf(self) -> Iterator[None]:
        """While the block runs, a digit breaks the media wait and stays queued.

        This is a FreeSWITCH media loop with no input callback (``sleep``): it sees that a
        digit is queued, stops, and leaves it to be taken later.
        """
        previous = self._dtmf_listener, self._dtmf_breaks
        self._dtmf_listener, self._dtmf_breaks = None, True
        try:
            yield
        finally:
            self._dtmf_listener, self._dtmf_breaks = previous

    def transfer(self, destination: str, context: str = "") -> None:
        """``uuid_transfer`` (and the ``transfer`` application, and a REFER): leave the
        current extension for ``destination``.

        As ``switch_ivr_session_transfer`` does, the new caller profile is in place at once,
        before the running application returns: its events already carry the new
        destination and a ``bl_xfer`` transfer source.
        """
        profile = self.channel.profile
        if profile is not None:
            target = f"{destination}/{context or profile.context}/XML"
            source = f"{self.switch.now_us() // 1_000_000}:{self.uuid}:bl_xfer:{target}"
            history = self.channel.get_var("transfer_history")
            self.channel.set_vars(
                [
                    ("transfer_history", f"{history}|:{source}" if history else source),
                    ("transfer_source", source),
                ]
            )
            profile.transfer_source = source
            profile.destination_number = destination
            profile.profile_index = str(int(profile.profile_index or "1") + 1)
        self.transfer_to = (destination, context)
        self.leave()

    def leave(self) -> None:
        """Stop the running application and the park loop (transfer, bridge)."""
        self.parked = False
        self.interrupt("transfer")
        self._wake()

    def answer(self) -> bool:
        """Answer the channel (no-op once answered); False when it is gone."""
        channel = self.channel
        if channel.hungup:
            return False
        if channel.answered:
            return True
        now = self.switch.now_us()
        profile = self.switch.config.sofia
        if self.leg.sip_caller is not None:
            remote = [
                ("remote_media_ip", channel.get_var("remote_media_ip")),
                ("remote_media_port", channel.get_var("remote_media_port")),
            ]
            channel.set_vars(sofia.inbound_answer_media(profile, self.leg.rtp_port, remote))
        channel.answered = True
        channel.early_media = False
        if channel.profile is not None:
            channel.profile.times.answered = now
        self.fire("CHANNEL_ANSWER")
        channel.set_var("endpoint_disposition", "ANSWER")
        self.set_callstate("ACTIVE")
        if self.leg.sip_caller is not None:
            channel.set_vars(sofia.inbound_answer_ack(self.leg.sip_caller, profile))
        on_answer = channel.get_var("execute_on_answer")
        if on_answer:  # as switch_channel_execute_on: "<app> <arg>" once answered
            app, _, arg = on_answer.partition(" ")
            self.switch.loop.create_task(self.execute(app, arg))
        return True

    def pre_answer(self) -> bool:
        """Send early media (183); CHANNEL_PROGRESS_MEDIA."""
        channel = self.channel
        if channel.hungup:
            return False
        if channel.answered or channel.early_media:
            return True
        channel.early_media = True
        if channel.profile is not None:
            channel.profile.times.progress_media = self.switch.now_us()
        channel.set_var("endpoint_disposition", "EARLY MEDIA")
        self.fire("CHANNEL_PROGRESS_MEDIA")
        self.set_callstate("EARLY")
        return True

    def ring_ready(self) -> bool:
        """Signal ringing (180); CHANNEL_PROGRESS."""
        channel = self.channel
        if channel.hungup:
            return False
        if channel.profile is not None and not channel.profile.times.progress:
            channel.profile.times.progress = self.switch.now_us()
            self.fire("CHANNEL_PROGRESS")
        return True

    def set_partner_vars(self, pairs: Pairs) -> None:
        """Set variables on the signalling partner if it is still up (FreeSWITCH's
        ``switch_channel_set_variable_partner``); ``None`` deletes."""
        bond = self.bond
        if bond is not None and bond.up:
            bond.channel.set_vars(pairs)

    def hangup(self, cause: str = "NORMAL_CLEARING") -> bool:
        """Hang up now: fire CHANNEL_HANGUP and interrupt the running application.

        The signalling partner learns the cause (``last_bridge_hangup_cause``, and the SIP
        one as ``last_bridge_proto_specific_hangup_cause``), as ``switch_channel_hangup``
        does.
        """
        channel = self.channel
        if channel.hungup:
            return False
        cause = cause.upper() if cause else "NORMAL_CLEARING"
        if cause not in sofia.Q850:
            cause = "NORMAL_UNSPECIFIED"
        channel.hungup = True
        channel.hangup_cause = cause
        channel.state = "CS_HANGUP"
        if channel.profile is not None:
            channel.profile.times.hungup = self.switch.now_us()
        partner = self.partner
        self.set_partner_vars([("last_bridge_hangup_cause", cause)])
        proto = channel.get_var("proto_specific_hangup_cause")
        if proto:
            self.set_partner_vars([("last_bridge_proto_specific_hangup_cause", proto)])
        if self.bridge_originator and partner is not None and partner.up:
            channel.set_var("last_bridge_role", "originator")
        elif partner is not None and partner.up:
            channel.set_var("last_bridge_role", "originatee")
        self.fire("CHANNEL_HANGUP")
        if not self.ended.done():
            self.ended.set_result(cause)
        self.interrupt("hangup")
        self._wake()
        if partner is not None:
            if self.bridge_originator:
                partner.channel.set_var("bridge_to", None)
                partner.hangup("NORMAL_CLEARING")
            else:
                partner.interrupt("unbridge")
        return True

    # -- running applications -----------------------------------------------------------
    async def execute(
        self, app: str, arg: str = "", *, app_uuid: str = "", via_sendmsg: bool = False
    ) -> None:
        """Run one application the way ``switch_core_session_exec`` does, with its events."""
        if not app_uuid:
            app_uuid = self.switch.new_uuid()
        run = self.applications.runs.get(app)
        if run is None:
            log.error("Invalid Application %s on %s", app, self.uuid)
            self.hangup("DESTINATION_OUT_OF_ORDER")
            return
        if self.channel.hungup and app not in self.applications.zombie:
            return
        channel = self.channel
        data = self.expand(arg)
        if via_sendmsg:
            channel.set_var("current_loop", "1")
            channel.set_var("total_loops", "1")
        channel.set_var("current_application", app)
        channel.set_var("current_application_data", data)
        channel.set_var("current_application_response", None)
        app_headers: Pairs = [("Application", app)]
        if data:
            app_headers.append(("Application-Data", data))
        self.fire("CHANNEL_EXECUTE", post=[*app_headers, ("Application-UUID", app_uuid)])
        channel.set_var("current_application", app)
        previous, self.current_app = self.current_app, app
        self.last_app, self.last_arg = app, data
        try:
            await run(self, data)
        finally:
            self.current_app = previous
        response = channel.get_var("current_application_response") or "_none_"
        self.fire(
            "CHANNEL_EXECUTE_COMPLETE",
            post=[*app_headers, ("Application-Response", response), ("Application-UUID", app_uuid)],
        )
        if via_sendmsg:
            channel.set_var("current_loop", None)
            channel.set_var("total_loops", None)

    async def process_message(self, message: Message) -> None:
        """Run one queued ``sendmsg``."""
        if message.command == "execute" and message.app:
            for _ in range(max(1, message.loops)):
                if self.channel.hungup:
                    break
                await self.execute(
                    message.app, message.arg, app_uuid=message.event_uuid, via_sendmsg=True
                )
        else:
            log.info("ignoring sendmsg call-command %r on %s", message.command, self.uuid)
        if message.announce:
            self.switch.fire("PRIVATE_COMMAND", channel=self.channel, lead=message.announce)

    @property
    def leaving(self) -> bool:
        """True when the channel must leave its extension (hangup, transfer, redirect)."""
        return not self.up or self.transfer_to is not None or self.redirect is not None

    async def drain_messages(self) -> None:
        """Run every queued ``sendmsg`` (between dialplan applications)."""
        while self.messages and not self.leaving:
            await self.process_message(self.messages.popleft())

    async def park(self) -> None:
        """The park loop: fire CHANNEL_PARK, run queued messages until hangup or transfer."""
        self.parked = True
        self.fire("CHANNEL_PARK")
        loop = self.switch.loop
        while self.up and self.parked:
            if self.messages:
                await self.process_message(self.messages.popleft())
                continue
            self.take_dtmf()
            waiter: asyncio.Future[None] = loop.create_future()
            self._message_waiter = waiter
            try:
                await waiter
            finally:
                self._message_waiter = None
        self.parked = False
        self.fire("CHANNEL_UNPARK")

    async def run_extension(self, destination: str, extension: list[tuple[str, str]]) -> None:
        """Run a dialplan extension's applications, then any transfer it leads to."""
        while True:
            for app, arg in extension:
                await self.drain_messages()
                if self.leaving:
                    break
                await self.execute(app, arg)
            await self.drain_messages()
            if not self.up:
                return
            if self.redirect is not None:
                redirect, self.redirect = self.redirect, None
                await redirect()
                extension = []
                continue
            if self.transfer_to is None:
                return
            destination, context = self.transfer_to
            self.transfer_to = None
            if self.channel.profile is not None:
                self.channel.profile.times.transferred = self.switch.now_us()
            self.set_running_state("CS_ROUTING")
            extension = self.switch.route(self.channel, destination, context)
            self.set_running_state("CS_EXECUTE")

    # -- the end ------------------------------------------------------------------------
    def teardown(self) -> None:
        """Walk the hung-up channel through CS_HANGUP ... CS_DESTROY and forget it."""
        channel = self.channel
        if not channel.hungup:
            self.hangup("NORMAL_CLEARING")
        for recording in list(self.recordings.values()):
            recording.stop("hangup")
        self.set_running_state("CS_HANGUP")
        for hook in self.switch.hangup_hooks:
            hook(self)
        self.set_callstate("HANGUP")
        self.set_running_state("CS_REPORTING")
        now = self.switch.now_us()
        times = channel.profile.times if channel.profile is not None else None
        profile = channel.profile
        caller_id = ""
        if profile is not None:
            caller_id = f'"{profile.caller_id_name}" <{profile.caller_id_number}>'
        channel.set_vars(
            sofia.hangup_cdr(
                cause=channel.hangup_cause,
                created=times.created if times else self.created_us,
                profile_created=times.profile_created if times else self.created_us,
                answered=times.answered if times else 0,
                bridged=times.bridged if times else 0,
                progress=times.progress if times else 0,
                progress_media=times.progress_media if times else 0,
                ended=times.hungup if times and times.hungup else now,
                last_app=self.last_app,
                last_arg=self.last_arg,
                caller_id=caller_id,
            )
        )
        disposition = channel.get_var("sip_hangup_disposition")
        if self.leg.destination_url and channel.hangup_cause in ("LOSE_RACE", "PICKED_OFF"):
            channel.set_var("call_completed_elsewhere", "true")
        if self.leg.destination_url and not channel.answered:
            if not disposition:
                channel.set_vars(sofia.OUTBOUND_CANCELLED)
        elif self.leg.sip_caller is not None or self.leg.destination_url:
            channel.set_vars(
                sofia.hangup_media_stats(
                    times.answered if times else 0,
                    times.hungup if times and times.hungup else now,
                    sent_bye=disposition != "recv_bye",
                )
            )
        self.fire("CHANNEL_HANGUP_COMPLETE", pre=[("Hangup-Cause", channel.hangup_cause)])
        if self.partner is not None:
            channel.set_var("bridge_hangup_cause", channel.hangup_cause)
            if channel.get_var("call_uuid") != self.uuid:
                channel.set_var("call_uuid", self.uuid)
        channel.state = "CS_DESTROY"
        self.fire("CHANNEL_DESTROY")
        channel.running_state = "CS_DESTROY"
        self.fire("CHANNEL_STATE")
        for hook in list(self.on_destroy):
            hook(self)
        if not self.done.done():
            self.done.set_result(channel.hangup_cause)

    def start(self, body: Coroutine[Any, Any, None]) -> None:
        """Run the coroutine ``body`` as this session's thread, tearing down at its end."""

        async def main() -> None:
            try:
                await body
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("session %s failed", self.uuid)
                self.hangup("NORMAL_TEMPORARY_FAILURE")
            finally:
                if not self.done.done():
                    self.teardown()

        self.task = self.switch.loop.create_task(main())


def _resolve(waiter: asyncio.Future[str], value: str) -> None:
    if not waiter.done():
        waiter.set_result(value)
