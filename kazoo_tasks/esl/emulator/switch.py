"""The emulated switch: the core, its sessions, registrations and endpoint rules.

:class:`Switch` extends :class:`~.core.Core` with what knows about sessions: the live
channels by uuid, inbound calls, the commands received about each channel, the SIP
registrations, the far ends' endpoint rules and the applications its modules registered
(as FreeSWITCH's loadable modules fill the core's application table).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from kazoo_tasks.esl.emulator import sofia
from kazoo_tasks.esl.emulator.channel import CallerProfile, Channel
from kazoo_tasks.esl.emulator.core import Core, Extension, SwitchConfig
from kazoo_tasks.esl.emulator.endpoints import EndpointRules
from kazoo_tasks.esl.emulator.events import Pairs
from kazoo_tasks.esl.emulator.session import ApplicationTable, LegKind, Message, Session

log = logging.getLogger(__name__)


@dataclass
class Registration:
    """A SIP registration the emulator was told about."""

    user: str
    realm: str
    contact_ip: str
    contact_port: int
    expires: int
    user_agent: str
    call_id: str
    registered_at: float

    @property
    def contact(self) -> str:
        return f"sip:{self.user}@{self.contact_ip}:{self.contact_port}"


class Switch(Core):
    """The emulated switch (see module docstring)."""

    def __init__(self, config: SwitchConfig, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(config, loop)
        self.sessions: dict[str, Session] = {}
        self.registrations: dict[tuple[str, str], Registration] = {}
        self.endpoints = EndpointRules()
        self.applications = ApplicationTable()
        self.extra_api: dict[str, Callable[[Switch, str], object]] = {}
        """Private ``api`` commands (``emulator_*``) added by the emulator's front end."""
        self.hangup_hooks: list[Callable[[Session], None]] = []
        """Called with each channel as it enters CS_HANGUP (``api_hangup_hook``...)."""
        self.session_hooks: list[Callable[[Session], None]] = []
        """Called with each new session before it fires its first event (the front end
        watches channels a test expects: :meth:`Emulator.expect_call`)."""

    # -- channels -----------------------------------------------------------------------
    def session(self, uuid_: str) -> Session | None:
        """The live session with this uuid."""
        return self.sessions.get(uuid_.strip())

    def new_session(self, channel: Channel, leg: LegKind) -> Session:
        """A session for ``channel``, known by its uuid until it is destroyed."""
        session = Session(self, channel, leg, self.applications)
        self.sessions[session.uuid] = session
        session.on_destroy.append(self._forget)
        for hook in list(self.session_hooks):
            hook(session)
        return session

    def _forget(self, session: Session) -> None:
        if self.sessions.get(session.uuid) is session:
            del self.sessions[session.uuid]

    def place_inbound(
        self,
        destination: str,
        *,
        caller_id_number: str,
        caller_id_name: str,
        variables: dict[str, str] | None = None,
        extension: Extension | None = None,
        uuid_: str | None = None,
        sip_ip: str = "127.0.0.1",
        sip_port: int = 5061,
        user_agent: str = "kazoo-tasks-emulator",
    ) -> Session:
        """Create an inbound SIP call to ``destination`` and start its life cycle."""
        uuid_ = uuid_ or self.new_uuid()
        profile_cfg = self.config.sofia
        tag = uuid_.replace("-", "")[:12]
        caller = sofia.SipCaller(
            number=caller_id_number,
            name=caller_id_name,
            destination=destination,
            ip=sip_ip,
            port=sip_port,
            user_agent=user_agent,
            call_id=f"{tag}@{sip_ip}",
            from_tag=f"{tag}Tag001",
        )
        name = f"sofia/{profile_cfg.name}/{caller_id_number}@{sip_ip}:{sip_port}"
        channel = Channel(uuid_, name, "inbound", None, hit_dialplan=True)
        session = self.new_session(
            channel, LegKind(sip_caller=caller, rtp_port=self.next_rtp_port())
        )
        now = session.created_us
        profile = CallerProfile(
            direction="inbound",
            logical_direction="inbound",
            username=caller_id_number,
            dialplan="XML",
            caller_id_name=caller_id_name,
            caller_id_number=caller_id_number,
            orig_caller_id_name=caller_id_name,
            orig_caller_id_number=caller_id_number,
            network_addr=sip_ip,
            ani=caller_id_number,
            destination_number=destination,
            uuid=uuid_,
            source="mod_sofia",
            context=self.config.context,
            chan_name=name,
            profile_index="1",
        )
        profile.times.profile_created = now
        profile.times.created = now
        self.stats.calls_created += 1

        async def life() -> None:
            session.set_running_state("CS_NEW")
            channel.profile = profile
            session.set_codecs()
            session.set_running_state("CS_INIT")
            channel.set_vars(
                sofia.inbound_created(
                    uuid_, self.next_session_id(), name, caller, self.config.sofia
                )
            )
            for key, value in (variables or {}).items():
                channel.set_var(key, value)
            channel.state = "CS_ROUTING"
            session.fire("CHANNEL_CREATE")
            channel.running_state = "CS_ROUTING"
            session.set_callstate("RINGING")
            session.fire("CHANNEL_STATE")
            await asyncio.sleep(0)
            route = extension if extension is not None else self.route(channel, destination)
            if extension is not None:
                channel.set_var("DP_MATCH", f"ARRAY::{destination}|:{destination}")
            channel.set_var("call_uuid", uuid_)
            session.set_running_state("CS_EXECUTE")
            await session.run_extension(destination, route)

        session.start(life())
        return session

    # -- commands received --------------------------------------------------------------
    def record_command(self, session: Session, message: Message) -> None:
        """Note a ``sendmsg`` for ``session`` (scripted-call records, ``emulator::command``)."""
        self._note_command(session, message.command, message.app, message.arg, message.event_uuid)

    def record_api(self, command: str, args: str) -> None:
        """Note an ``api``/``bgapi`` command that names a channel (``uuid_*``)."""
        if not command.startswith("uuid_"):
            return
        target, _, rest = args.strip().partition(" ")
        session = self.sessions.get(target)
        if session is not None:
            self._note_command(session, "api", command, rest, "")

    def record_room_api(self, sessions: list[Session], command: str, args: str) -> None:
        """Note an ``api`` command about a room (``conference``) for each member's channel."""
        for session in sessions:
            self._note_command(session, "api", command, args, "")

    def _note_command(
        self, session: Session, kind: str, app: str, args: str, event_uuid: str
    ) -> None:
        for hook in list(session.command_hooks):
            try:
                hook(kind, app, args, event_uuid)
            except Exception:
                log.exception("command hook failed")
        self.fire(
            "CUSTOM",
            subclass="emulator::command",
            post=[
                ("Unique-ID", session.uuid),
                ("Command-Kind", kind),
                ("Application", app),
                ("Application-Data", args),
                ("Event-UUID", event_uuid),
            ],
        )

    # -- registrations ------------------------------------------------------------------
    def register(
        self,
        user: str,
        realm: str,
        *,
        contact_ip: str = "127.0.0.1",
        contact_port: int = 5062,
        expires: int = 300,
        user_agent: str = "kazoo-tasks-emulator",
    ) -> Registration:
        """Record a registration and fire ``CUSTOM sofia::register``."""
        registration = Registration(
            user=user,
            realm=realm,
            contact_ip=contact_ip,
            contact_port=contact_port,
            expires=expires,
            user_agent=user_agent,
            call_id=f"{uuid.uuid4().hex[:12]}@{contact_ip}",
            registered_at=time.time(),
        )
        self.registrations[(user, realm)] = registration
        profile = self.config.sofia
        contact = f'"" <{registration.contact}>'
        self.fire(
            "CUSTOM",
            subclass="sofia::register",
            post=[
                ("profile-name", profile.name),
                ("from-user", user),
                ("from-host", realm),
                ("presence-hosts", "n/a"),
                ("contact", contact),
                ("call-id", registration.call_id),
                ("rpid", "unknown"),
                ("status", "Registered(UDP)"),
                ("expires", str(expires)),
                ("to-user", user),
                ("to-host", realm),
                ("network-ip", contact_ip),
                ("network-port", str(contact_port)),
                ("username", user),
                ("realm", realm),
                ("user-agent", user_agent),
                *_directory_pairs(user, realm),
            ],
        )
        return registration

    def unregister(self, user: str, realm: str) -> bool:
        """Forget a registration and fire ``CUSTOM sofia::unregister``; False if unknown."""
        registration = self.registrations.pop((user, realm), None)
        if registration is None:
            return False
        self.fire(
            "CUSTOM",
            subclass="sofia::unregister",
            post=[
                ("profile-name", self.config.sofia.name),
                ("username", user),
                ("from-user", user),
                ("from-host", realm),
                ("contact", f'"" <{registration.contact}>'),
                ("call-id", registration.call_id),
                ("rpid", "unknown"),
                ("realm", realm),
                ("network-ip", registration.contact_ip),
                ("network-port", str(registration.contact_port)),
                ("user-agent", registration.user_agent),
                ("expires", "0"),
                *_directory_pairs(user, realm),
            ],
        )
        return True

    def find_registration(self, user: str, realm: str = "") -> Registration | None:
        """A registration of ``user`` (in ``realm`` if given)."""
        if realm:
            return self.registrations.get((user, realm))
        for (reg_user, _), registration in self.registrations.items():
            if reg_user == user:
                return registration
        return None


def _directory_pairs(user: str, realm: str) -> Pairs:
    return [
        ("sip_number_alias", user),
        ("sip_auth_username", user),
        ("sip_auth_realm", realm),
        ("number_alias", user),
        ("user_name", user),
        ("domain_name", realm),
        ("user_context", "default"),
        ("effective_caller_id_number", user),
    ]
