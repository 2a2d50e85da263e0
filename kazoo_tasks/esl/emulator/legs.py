"""One outbound leg of an originate: the channel FreeSWITCH creates, and what its far end does.

An endpoint of a dial string resolves to a :class:`Target` (a SIP URL and the
:class:`~.endpoints.EndpointRule` of its far end); an :class:`OutboundLeg` is the channel
that rings it, firing what a mod_sofia leg fires: CHANNEL_OUTGOING, its state changes,
CHANNEL_PROGRESS on 180 (CHANNEL_PROGRESS_MEDIA on 183), CHANNEL_ANSWER on 200, or a
hangup with the cause of the far end's refusal (486 is USER_BUSY) or of its cancellation.
The leg does not decide when it gives up: the originate that rings it does (see
:mod:`.originate`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from kazoo_tasks.esl.emulator import sofia
from kazoo_tasks.esl.emulator.channel import CallerProfile, Channel, ProfileTimes
from kazoo_tasks.esl.emulator.endpoints import EndpointRule
from kazoo_tasks.esl.emulator.script import attach
from kazoo_tasks.esl.emulator.session import LegKind, Session
from kazoo_tasks.esl.emulator.switch import Switch

ANSWERED = "answered"
"""The outcome of a leg whose far end answered (any other outcome is a hangup cause)."""

AfterAnswer = Callable[[Session], list[tuple[str, str]]]
"""What an answered leg of ``api originate`` runs: its applications (``&park()``, an
extension routed through the dialplan)."""


@dataclass
class Target:
    """Where an endpoint leads: a channel name and SIP URL, and the rule it follows.

    ``variables`` are those the endpoint module adds to the leg (``user/`` adds
    ``dialed_user``, ``dialed_domain`` and ``presence_id``).
    """

    channel_name: str
    destination_url: str
    destination_number: str
    rule: EndpointRule
    variables: dict[str, str] = field(default_factory=dict)


def resolve(switch: Switch, endpoint: str) -> Target | str:
    """Resolve an endpoint to a :class:`Target`, or the hangup cause it fails with.

    ``error/<cause>`` fails with that cause. ``user/<id>[@<realm>]`` rings the contact of
    the user's registration (mod_dptools' ``user/`` endpoint): without a registration nor a
    rule naming it, it fails with USER_NOT_REGISTERED. ``sofia/<profile>/<uri>`` and
    ``loopback/<number>[/<context>]`` ring as they are.
    """
    profile = switch.config.sofia
    kind, _, rest = endpoint.partition("/")
    kind = kind.lower()
    if kind == "error":
        return (rest or "NORMAL_CLEARING").upper()
    rule = switch.endpoints.match(endpoint)
    if kind == "user":
        user, _, domain = rest.partition("@")
        rule = rule or switch.endpoints.match(f"user/{user}")
        registration = switch.find_registration(user, domain)
        if rule is None and registration is None:
            return "USER_NOT_REGISTERED"
        if registration is not None:
            url = f"{user}@{registration.contact_ip}:{registration.contact_port}"
            domain = domain or registration.realm
        else:
            url = f"{user}@{domain or profile.ip}"
        dialed = {"dialed_user": user, "dialed_domain": domain or profile.ip}
        if domain:
            dialed["presence_id"] = f"{user}@{domain}"
        channel_name = f"sofia/{profile.name}/{url}"
        return Target(channel_name, url, user, rule or switch.endpoints.default, dialed)
    if kind == "sofia":
        parts = rest.split("/")
        url = parts[-1] if len(parts) > 1 else rest
        if url.startswith("sip:"):
            url = url[4:]
        number = url.split("@", 1)[0]
        return Target(endpoint, url, number, rule or switch.endpoints.default)
    if kind == "loopback":
        number = rest.split("/", 1)[0]
        return Target(f"loopback/{number}-a", number, number, rule or switch.endpoints.default)
    number = rest.split("@", 1)[0] or endpoint
    return Target(endpoint, rest or endpoint, number, rule or switch.endpoints.default)


def _profile_of(session: Session) -> CallerProfile:
    profile = session.channel.profile
    assert profile is not None
    return profile


def _caller_id(variables: dict[str, str], fallback: tuple[str, str]) -> tuple[str, str]:
    name = (
        variables.get("origination_caller_id_name")
        or variables.get("effective_caller_id_name")
        or fallback[0]
    )
    number = (
        variables.get("origination_caller_id_number")
        or variables.get("effective_caller_id_number")
        or fallback[1]
    )
    return name, number


class OutboundLeg:
    """An outbound channel being rung; ``outcome`` ends as :data:`ANSWERED` or a cause.

    With an ``originator`` (the bridge application's caller) the leg is FreeSWITCH's
    B leg: its caller profile is a copy of the caller's, it inherits ``originator``,
    ``signal_bond``, ``call_uuid`` and the exported variables, and the caller is its
    signalling partner (it learns ``last_bridge_hangup_cause``, ``sip_invite_failure_*``).
    """

    def __init__(
        self,
        switch: Switch,
        target: Target,
        variables: dict[str, str],
        originator: Session | None,
        *,
        on_progress: Callable[[OutboundLeg], None] | None = None,
    ) -> None:
        self.switch = switch
        self.target = target
        self.variables = {**variables, **target.variables}
        self.originator = originator
        self.on_progress = on_progress
        self.outcome: asyncio.Future[str] = switch.loop.create_future()
        self.after_answer: asyncio.Future[AfterAnswer | None] = switch.loop.create_future()
        """Set once answered: what the leg runs next (``None``: it waits, bridged)."""
        self.early_media = False
        self.created_at = 0.0
        """Loop time the leg was created: its far end's timers count from then."""
        self.waiting_to_ring = False
        """True while ``leg_delay_start`` holds the leg back."""
        self.uuid = self.variables.get("origination_uuid") or switch.new_uuid()
        profile = self._profile()
        channel = Channel(self.uuid, target.channel_name, "outbound", profile, hit_dialplan=False)
        channel.running_state = "CS_NONE"
        channel.state = "CS_INIT"
        self.session = switch.new_session(
            channel,
            LegKind(destination_url=target.destination_url, rtp_port=switch.next_rtp_port()),
        )
        if originator is not None:
            self.session.bond = originator
            other = _profile_of(originator).copy()
            other.times = ProfileTimes()
            other.callee_id_name = other.callee_id_number = other.profile_index = ""
            channel.other = ("originator", other)

    def _profile(self) -> CallerProfile:
        target, now = self.target, self.switch.now_us()
        if self.originator is not None:
            caller = _profile_of(self.originator)
            name, number = _caller_id(
                self.variables, (caller.caller_id_name, caller.caller_id_number)
            )
            profile = CallerProfile(
                direction="outbound",
                logical_direction="outbound",
                username=caller.username,
                dialplan=caller.dialplan,
                network_addr=caller.network_addr,
                source="mod_sofia",
                context=caller.context,
            )
        else:
            name, number = _caller_id(self.variables, ("Outbound Call", "0000000000"))
            profile = CallerProfile(
                direction="outbound",
                logical_direction="outbound",
                source="src/switch_ivr_originate.c",
                context="default",
            )
        profile.caller_id_name = profile.orig_caller_id_name = name
        profile.caller_id_number = profile.orig_caller_id_number = profile.ani = number
        profile.callee_id_name = "Outbound Call"
        profile.callee_id_number = profile.destination_number = target.destination_number
        profile.uuid = self.uuid
        profile.chan_name = target.channel_name
        profile.profile_index = "1"
        profile.times.profile_created = profile.times.created = now
        return profile

    # -- what the originate does with the leg -------------------------------------------
    def start(self, delay: float = 0.0) -> None:
        """Create the channel (CHANNEL_OUTGOING) and ring, ``delay`` seconds later."""
        self.waiting_to_ring = delay > 0
        self.created_at = self.switch.loop.time()
        self.session.fire("CHANNEL_OUTGOING")
        if self.originator is not None:  # the leg belongs to the caller's call from now on
            self.session.channel.set_var("call_uuid", self.originator.uuid)
        self.session.start(self._life(delay))

    def ring_now(self) -> None:
        """Cut ``leg_delay_start`` short (no other leg of the group is left ringing)."""
        if self.waiting_to_ring:
            self.session.interrupt("ring")

    def cancel(self, cause: str) -> None:
        """Stop ringing (the caller left, a timeout): CANCEL, hang up.

        Does nothing once the leg's outcome is known (answered, or already failed).
        """
        if self.outcome.done():
            return
        self.outcome.set_result(cause)
        self.session.hangup(cause)

    def lose(self) -> None:
        """Another leg of the group won: hang up with LOSE_RACE (CANCEL while ringing,
        BYE if this one answered in the same instant)."""
        if not self.outcome.done():
            self.outcome.set_result("LOSE_RACE")
        if self.session.up:
            self.session.channel.set_var("group_dial_status", "loser")
            self.session.hangup("LOSE_RACE")

    # -- the far end ----------------------------------------------------------------------
    async def _life(self, delay: float) -> None:
        session, channel, switch = self.session, self.session.channel, self.switch
        rings_at = self.created_at + switch.scaled(delay)
        if delay > 0 and await session.media_wait(delay, since=self.created_at) == "hangup":
            return
        rings_at = min(rings_at, switch.loop.time())  # ring_now() cuts the delay short
        self.waiting_to_ring = False
        session.set_running_state("CS_INIT")
        originator = None
        if self.originator is not None:
            caller = self.originator.channel
            originator = sofia.originator_vars(
                self.originator.uuid, caller.get_var("max_forwards"), caller.get_var("switch_r_sdp")
            )
        channel.set_vars(
            sofia.outbound_created(
                self.uuid,
                switch.next_session_id(),
                channel.name,
                self.target.destination_url,
                list(self.variables.items()),
                switch.config.sofia,
                session.leg.rtp_port,
                originator=originator,
            )
        )
        channel.state = "CS_ROUTING"
        session.fire("CHANNEL_CREATE")
        session.fire("CHANNEL_ORIGINATE")
        session.set_running_state("CS_ROUTING")
        session.set_running_state("CS_CONSUME_MEDIA")
        rule = self.target.rule
        refusal = sofia.SipRefusal.of(rule.reject) if rule.reject else None
        if refusal is not None and rule.reject_after <= 0:
            self._refuse(refusal)
            return
        self._progress(rule)
        wait = rule.reject_after if refusal is not None else rule.answer_delay(random.random())
        reason = await session.media_wait(wait, since=rings_at)
        while reason == "break":
            reason = await session.media_wait(wait, since=rings_at)
        if not session.up:
            return
        if refusal is not None:
            self._refuse(refusal)
            return
        self._answer()
        if rule.hangup_after is not None:
            switch.loop.call_later(
                switch.scaled(rule.hangup_after), session.hangup, "NORMAL_CLEARING"
            )
        if rule.script:
            attach(session, rule.script)
        if not self.outcome.done():
            self.outcome.set_result(ANSWERED)
        if not await session.wait_until(self.after_answer):
            return
        then = self.after_answer.result()
        if then is None:  # bridged: until it hangs up, or an intercept takes it elsewhere
            while session.up:
                if session.redirect is not None:
                    redirect, session.redirect = session.redirect, None
                    await redirect()
                    continue
                await session.media_wait(None)
            return
        session.set_running_state("CS_EXECUTE")
        channel.set_var("call_uuid", channel.get_var("call_uuid", self.uuid))
        await session.run_extension(self.target.destination_number, then(session))

    def _sip_dialog(self) -> None:
        profile = _profile_of(self.session)
        self.session.channel.set_vars(
            sofia.outbound_progress(
                self.target.destination_url,
                profile.caller_id_number,
                profile.caller_id_name,
                self.switch.config.sofia,
            )
        )
        profile.network_addr = self.target.destination_url.split("@", 1)[-1].split(":", 1)[0]

    def _progress(self, rule: EndpointRule) -> None:
        """The far end's 180 Ringing (183 Session Progress with early media)."""
        session = self.session
        self._sip_dialog()
        if rule.early_media:
            self.early_media = True
            session.pre_answer()
        else:
            session.ring_ready()
            session.set_callstate("RINGING")
        session.set_partner_vars(
            [("sip_invite_failure_status", None), ("sip_invite_failure_phrase", None)]
        )
        if self.on_progress is not None:
            self.on_progress(self)

    def _refuse(self, refusal: sofia.SipRefusal) -> None:
        """The far end's final error response (486 Busy Here ...): the leg hangs up."""
        session = self.session
        session.channel.set_vars(
            sofia.outbound_refused(self.target.destination_url, self.switch.config.sofia, refusal)
        )
        session.set_partner_vars(
            [
                ("sip_invite_failure_status", str(refusal.status)),
                ("sip_invite_failure_phrase", refusal.phrase),
                ("sip_hangup_phrase", refusal.phrase),
            ]
        )
        self.cancel(refusal.cause)

    def _answer(self) -> None:
        session, channel, switch = self.session, self.session.channel, self.switch
        session.set_codecs()
        remote_ip = self.target.destination_url.split("@", 1)[-1].split(":", 1)[0]
        channel.set_vars(
            sofia.outbound_answer(switch.config.sofia, session.leg.rtp_port, remote_ip)
        )
        if self.originator is not None:
            self.originator.channel.set_vars(sofia.answered_peer_media(remote_ip))
        channel.answered = True
        channel.early_media = False
        profile = _profile_of(session)
        profile.times.answered = switch.now_us()
        session.fire("CHANNEL_ANSWER")
        session.set_callstate("ACTIVE")
        channel.set_var("endpoint_disposition", "ANSWER")
        if self.originator is not None:
            return
        channel.set_vars(
            [
                ("pre_transfer_caller_id_name", profile.caller_id_name),
                ("pre_transfer_caller_id_number", profile.caller_id_number),
                ("channel_cid_flipped", "yes"),
            ]
        )
        profile.callee_id_name, profile.caller_id_name = profile.caller_id_name, "Outbound Call"
        profile.callee_id_number, profile.caller_id_number = (
            profile.caller_id_number,
            self.target.destination_number,
        )
        session.fire("CALL_UPDATE", pre=[("Direction", "RECV")])
