"""Outbound legs: ``originate``, the ``bridge`` application and ``uuid_bridge``.

Each endpoint of a dial string (see :mod:`.endpoints`) becomes an outbound leg that does
what its :class:`~.endpoints.EndpointRule` says; ``user/<id>`` endpoints need a rule or a
registration (else ``USER_NOT_REGISTERED``), ``error/<cause>`` fails at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from kazoo_tasks.esl.emulator import sofia
from kazoo_tasks.esl.emulator.channel import CallerProfile, Channel
from kazoo_tasks.esl.emulator.endpoints import EndpointRule, parse_dial_string
from kazoo_tasks.esl.emulator.events import Pairs
from kazoo_tasks.esl.emulator.script import attach
from kazoo_tasks.esl.emulator.session import LegKind, Session
from kazoo_tasks.esl.emulator.switch import Switch

log = logging.getLogger(__name__)


@dataclass
class Target:
    """Where an endpoint leads: a channel name and SIP URL, and the rule it follows."""

    channel_name: str
    destination_url: str
    destination_number: str
    rule: EndpointRule


def resolve(switch: Switch, endpoint: str) -> Target | str:
    """Resolve an endpoint to a :class:`Target`, or a hangup cause when it cannot ring."""
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
        else:
            url = f"{user}@{domain or profile.ip}"
        return Target(f"sofia/{profile.name}/{url}", url, user, rule or switch.endpoints.default)
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


class OutboundLeg:
    """An outbound channel being rung; ``outcome`` ends as ``"answered"`` or a cause."""

    def __init__(
        self,
        switch: Switch,
        target: Target,
        variables: dict[str, str],
        originator: Session | None,
        uuid_: str | None = None,
    ) -> None:
        self.switch = switch
        self.target = target
        self.outcome: asyncio.Future[str] = switch.loop.create_future()
        self.after_answer: asyncio.Future[Callable[[Session], list[tuple[str, str]]] | None] = (
            switch.loop.create_future()
        )
        """Set once answered: what the leg runs next (``None``: it waits, bridged)."""
        uuid_ = uuid_ or variables.get("origination_uuid") or switch.new_uuid()
        self.uuid = uuid_
        cid_name = variables.get("origination_caller_id_name")
        cid_number = variables.get("origination_caller_id_number")
        if originator is not None and originator.channel.profile is not None:
            a_profile = originator.channel.profile
            cid_name = (
                cid_name or variables.get("effective_caller_id_name") or a_profile.caller_id_name
            )
            cid_number = (
                cid_number
                or variables.get("effective_caller_id_number")
                or a_profile.caller_id_number
            )
        cid_name = cid_name or "Outbound Call"
        cid_number = cid_number or "0000000000"
        profile = CallerProfile(
            direction="outbound",
            logical_direction="outbound",
            caller_id_name=cid_name,
            caller_id_number=cid_number,
            orig_caller_id_name=cid_name,
            orig_caller_id_number=cid_number,
            callee_id_name="Outbound Call",
            callee_id_number=target.destination_number,
            ani=cid_number,
            destination_number=target.destination_number,
            uuid=uuid_,
            source="src/switch_ivr_originate.c",
            context="default",
            chan_name=target.channel_name,
            profile_index="1",
        )
        now = switch.now_us()
        profile.times.profile_created = now
        profile.times.created = now
        channel = Channel(uuid_, target.channel_name, "outbound", profile, hit_dialplan=False)
        channel.running_state = "CS_NONE"
        channel.state = "CS_INIT"
        self.session = switch.new_session(
            channel,
            LegKind(destination_url=target.destination_url, rtp_port=switch.next_rtp_port()),
        )
        self.variables = variables
        self.originator = originator

    def start(self, timeout: float) -> None:
        """Start ringing; the leg gives up with NO_ANSWER after ``timeout`` seconds."""
        self.session.start(self._life(timeout))

    def _fail(self, cause: str) -> None:
        if not self.outcome.done():
            self.outcome.set_result(cause)
        if not self.after_answer.done():
            self.after_answer.set_result(None)
        self.session.hangup(cause)

    def cancel(self, cause: str) -> None:
        """Stop ringing this leg (another leg won, the caller left, the originate timed out)."""
        self._fail(cause)

    async def _life(self, timeout: float) -> None:
        session, channel, switch = self.session, self.session.channel, self.switch
        profile_cfg = switch.config.sofia
        rule = self.target.rule
        session.fire("CHANNEL_OUTGOING")
        session.set_running_state("CS_INIT")
        originate_vars: Pairs = list(self.variables.items())
        channel.set_vars(
            sofia.outbound_created(
                self.uuid,
                switch.next_session_id(),
                channel.name,
                self.target.destination_url,
                originate_vars,
                profile_cfg,
                session.leg.rtp_port,
            )
        )
        channel.state = "CS_ROUTING"
        session.fire("CHANNEL_CREATE")
        session.fire("CHANNEL_ORIGINATE")
        session.set_running_state("CS_ROUTING")
        session.set_running_state("CS_CONSUME_MEDIA")
        if rule.reject:
            await session.media_wait(min(rule.reject_after, timeout))
            self._fail(rule.reject.upper())
            return
        profile = channel.profile
        assert profile is not None
        channel.set_vars(
            sofia.outbound_progress(
                self.target.destination_url,
                profile.caller_id_number,
                profile.caller_id_name,
                profile_cfg,
            )
        )
        profile.network_addr = self.target.destination_url.split("@", 1)[-1].split(":", 1)[0]
        session.ring_ready()
        session.set_callstate("RINGING")
        ring = timeout if rule.answer_after is None else min(rule.answer_after, timeout)
        reason = await session.media_wait(ring)
        while reason == "break":
            reason = await session.media_wait(ring)
        if not session.up:
            self._fail(channel.hangup_cause or "ORIGINATOR_CANCEL")
            return
        if rule.answer_after is None or rule.answer_after > timeout:
            self._fail("NO_ANSWER")
            return
        self._answer()
        if rule.hangup_after is not None:
            switch.loop.call_later(
                switch.scaled(rule.hangup_after), session.hangup, "NORMAL_CLEARING"
            )
        if rule.script:
            attach(session, rule.script)
        self.outcome.set_result("answered")
        then = await self.after_answer
        if then is None:
            while session.up:
                await session.media_wait(None)
            return
        session.set_running_state("CS_EXECUTE")
        channel.set_var("call_uuid", channel.get_var("call_uuid", self.uuid))
        await session.run_extension(self.target.destination_number, then(session))

    def _answer(self) -> None:
        session, channel, switch = self.session, self.session.channel, self.switch
        session.set_codecs()
        remote_ip = self.target.destination_url.split("@", 1)[-1].split(":", 1)[0]
        channel.set_vars(
            sofia.outbound_answer(switch.config.sofia, session.leg.rtp_port, remote_ip)
        )
        channel.answered = True
        assert channel.profile is not None
        channel.profile.times.answered = switch.now_us()
        session.fire("CHANNEL_ANSWER")
        session.set_callstate("ACTIVE")
        profile = channel.profile
        channel.set_vars(
            [
                ("endpoint_disposition", "ANSWER"),
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


def originate_timeout(switch: Switch, variables: dict[str, str]) -> float:
    """The ring timeout of an originate from its variables (seconds)."""
    for name in ("leg_timeout", "originate_timeout", "call_timeout"):
        value = variables.get(name, "")
        if value.isdigit() and int(value) > 0:
            return float(value)
    return switch.config.originate_timeout


async def originate(
    switch: Switch,
    dial: str,
    *,
    originator: Session | None = None,
) -> tuple[OutboundLeg | None, str]:
    """Ring the dial string; returns the answered leg, or ``None`` and the failure cause."""
    global_vars, groups = parse_dial_string(dial)
    if not groups:
        return None, "INVALID_NUMBER_FORMAT"
    cause = "NORMAL_CLEARING"
    for group in groups:
        legs: list[OutboundLeg] = []
        for leg in group:
            variables = {**global_vars, **leg.variables}
            target = resolve(switch, leg.endpoint)
            if isinstance(target, str):
                cause = target
                continue
            outbound = OutboundLeg(switch, target, variables, originator)
            if originator is not None:
                outbound.session.channel.other = ("originator", _profile_of(originator))
                for hook in list(originator.leg_hooks):
                    hook(outbound.session)
            outbound.start(originate_timeout(switch, variables))
            legs.append(outbound)
        if not legs:
            continue
        winner, cause = await _race(switch, legs, originator)
        if winner is not None:
            return winner, "SUCCESS"
        if originator is not None and not originator.up:
            return None, "ORIGINATOR_CANCEL"
    return None, cause


def _profile_of(session: Session) -> CallerProfile:
    profile = session.channel.profile
    assert profile is not None
    return profile


async def _race(
    switch: Switch, legs: list[OutboundLeg], originator: Session | None
) -> tuple[OutboundLeg | None, str]:
    pending = {leg.outcome: leg for leg in legs}
    cause = "NO_ANSWER"
    cancel_waiter: asyncio.Future[str] | None = None
    while pending:
        waiters: set[asyncio.Future[str]] = set(pending)
        if originator is not None:
            cancel_waiter = originator.switch.loop.create_future()
            originator._media_waiter = cancel_waiter
            waiters.add(cancel_waiter)
        done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        if cancel_waiter is not None:
            if originator is not None and originator._media_waiter is cancel_waiter:
                originator._media_waiter = None
            if cancel_waiter in done and originator is not None and not originator.up:
                for leg in pending.values():
                    leg.cancel("ORIGINATOR_CANCEL")
                return None, "ORIGINATOR_CANCEL"
            if not cancel_waiter.done():
                cancel_waiter.cancel()
        for fut in done:
            if fut is cancel_waiter:
                continue
            leg = pending.pop(fut)
            if fut.result() == "answered":
                for other in pending.values():
                    other.cancel("LOSE_RACE")
                return leg, "SUCCESS"
            cause = fut.result()
    return None, cause


def handle_failure_cause(session: Session, cause: str) -> None:
    """After a failed bridge: continue or hang up, as ``switch_channel_handle_cause`` does."""
    if not session.up:
        return
    channel = session.channel
    continue_on_fail = channel.get_var("continue_on_fail")
    failure_causes = channel.get_var("failure_causes")
    q850 = str(sofia.Q850.get(cause, 0))
    if failure_causes:
        listed = {c.strip().upper() for c in failure_causes.split(",")}
        if cause not in listed and q850 not in listed:
            return
    if continue_on_fail:
        if continue_on_fail.lower() in ("true", "yes", "on", "1"):
            return
        listed = {c.strip().upper() for c in continue_on_fail.split(",")}
        if cause in listed or q850 in listed:
            return
    elif not failure_causes and cause in ("NO_ANSWER", "NO_USER_RESPONSE", "ORIGINATOR_CANCEL"):
        return
    session.hangup(cause)


def _bridge_vars(me: Session, peer: Session) -> list[tuple[str, str]]:
    return [
        ("bridge_channel", peer.channel.name),
        ("bridge_uuid", peer.uuid),
        ("signal_bond", peer.uuid),
    ]


def link(a: Session, b: Session) -> None:
    """Bridge two answered sessions: variables, profiles, CHANNEL_BRIDGE, CALL_UPDATEs."""
    switch = a.switch
    now = switch.now_us()
    a_profile, b_profile = _profile_of(a), _profile_of(b)
    a.partner, b.partner = b, a
    a.bridge_originator = True
    if a.channel.other is None or a.channel.other[1].uuid != b.uuid:
        a.channel.other = ("originatee", b_profile.copy())
    if b.channel.other is None or b.channel.other[1].uuid != a.uuid:
        b.channel.other = ("originator", a_profile.copy())
    a_profile.callee_id_name = b_profile.orig_caller_id_name
    a_profile.callee_id_number = b_profile.orig_caller_id_number
    a_profile.times.bridged = now
    b_profile.times.bridged = now
    for me, peer in ((a, b), (b, a)):
        if "bridge_uuid" not in me.channel.variables:
            me.channel.set_vars(_bridge_vars(me, peer))
    a.fire(
        "CHANNEL_BRIDGE",
        pre=[("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)],
    )
    b.set_running_state("CS_EXCHANGE_MEDIA")
    for me, peer in ((a, b), (b, a)):
        peer_profile = _profile_of(peer)
        if me is b:
            me.channel.set_var("call_uuid", a.uuid)
        me.channel.set_vars(
            [
                ("bridge_to", peer.uuid),
                ("last_bridge_to", peer.uuid),
                *_bridge_vars(me, peer),
                ("last_sent_callee_id_name", peer_profile.caller_id_name),
                ("last_sent_callee_id_number", peer_profile.caller_id_number),
            ]
        )
        me.fire(
            "CALL_UPDATE",
            pre=[
                ("Direction", "SEND"),
                ("Sent-Callee-ID-Name", peer_profile.caller_id_name),
                ("Sent-Callee-ID-Number", peer_profile.caller_id_number),
                ("Bridged-To", peer.uuid),
            ],
        )


def unlink(a: Session, b: Session) -> None:
    """End a bridge: CHANNEL_UNBRIDGE on the originator, bridge variables updated."""
    a.channel.set_var("bridge_to", None)
    b.channel.set_var("bridge_to", None)
    cause = b.channel.hangup_cause or a.channel.hangup_cause or "NORMAL_CLEARING"
    a.channel.set_var("bridge_hangup_cause", cause)
    a.fire(
        "CHANNEL_UNBRIDGE",
        pre=[("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)],
    )
    a.partner = None
    b.partner = None
    a.bridge_originator = False


async def bridge(session: Session, data: str) -> None:
    """The ``bridge`` application: ring the dial string, bridge the winner, wait for the end."""
    switch = session.switch
    channel = session.channel
    leg, cause = await originate(switch, data, originator=session)
    if leg is None:
        channel.set_vars(
            [
                ("originate_disposition", cause),
                ("DIALSTATUS", _dial_status(cause)),
                ("originate_failed_cause", cause),
            ]
        )
        handle_failure_cause(session, cause)
        return
    b = leg.session
    if not session.up:
        b.hangup("ORIGINATOR_CANCEL")
        return
    channel.set_vars([("originate_disposition", "SUCCESS"), ("DIALSTATUS", "SUCCESS")])
    session.answer()
    link(session, b)
    leg.after_answer.set_result(None)
    while session.up and b.up and session.partner is b:
        await session.media_wait(None)
    await asyncio.sleep(0)  # the far leg's own hangup events come first, as in FreeSWITCH
    unlink(session, b)
    if b.up:
        b.hangup("NORMAL_CLEARING")
    if session.up and channel.get_var("hangup_after_bridge").lower() in ("true", "yes", "1"):
        session.hangup("NORMAL_CLEARING")


def _dial_status(cause: str) -> str:
    return {
        "USER_BUSY": "BUSY",
        "NO_ANSWER": "NOANSWER",
        "NO_USER_RESPONSE": "NOANSWER",
        "ORIGINATOR_CANCEL": "CANCEL",
        "INVALID_NUMBER_FORMAT": "INVALIDARGS",
    }.get(cause, cause)


def _transfer_to_bridge(me: Session, peer: Session) -> None:
    """What ``uuid_bridge`` records on a leg before taking it out of park."""
    switch = me.switch
    profile = _profile_of(me)
    source = f"{switch.now_us() // 1_000_000}:{switch.new_uuid()}:uuid_br:{peer.uuid}"
    me.channel.set_vars(
        [
            *_bridge_vars(me, peer),
            ("original_destination_number", profile.destination_number),
            ("original_caller_id_name", profile.caller_id_name),
            ("original_caller_id_number", profile.caller_id_number),
            ("transfer_history", source),
            ("transfer_source", source),
        ]
    )
    profile.transfer_source = source
    profile.profile_index = str(int(profile.profile_index or "1") + 1)


def uuid_bridge(a: Session, b: Session) -> None:
    """``api uuid_bridge``: take two live channels out of what they do and bridge them."""
    loop = a.switch.loop
    phases = {
        (uuid_, phase): loop.create_future()
        for uuid_ in (a.uuid, b.uuid)
        for phase in ("reset", "soft", "execute")
    }
    a_profile, b_profile = _profile_of(a), _profile_of(b)
    now = a.switch.now_us()
    a_profile.times.profile_created = b_profile.times.profile_created = now
    a.channel.other = ("originatee", b_profile.copy())
    b.channel.other = ("originator", a_profile.copy())
    a.channel.set_var("uuid_bridge", b.uuid)
    _transfer_to_bridge(a, b)
    _transfer_to_bridge(b, a)
    a_profile.callee_id_name = b_profile.orig_caller_id_name
    a_profile.callee_id_number = b_profile.orig_caller_id_number

    def done(me: Session, phase: str) -> None:
        phases[(me.uuid, phase)].set_result(True)

    async def bridged(me: Session, peer: Session, originator: bool) -> None:
        me.set_running_state("CS_HIBERNATE")
        me.set_running_state("CS_RESET")
        done(me, "reset")
        if not await me.wait_until(phases[(peer.uuid, "reset")]):
            return
        me.set_running_state("CS_SOFT_EXECUTE")
        done(me, "soft")
        if originator and not await me.wait_until(phases[(peer.uuid, "soft")]):
            return
        if not originator and not await me.wait_until(phases[(peer.uuid, "execute")]):
            return
        me.channel.set_var("uuid_bridge", None)
        if not originator:
            me.channel.set_var("call_uuid", me.uuid)
        me.fire(
            "CHANNEL_EXECUTE",
            post=[("Application", "uuid_bridge"), ("Application-Data", peer.uuid)],
        )
        done(me, "execute")
        if originator:
            if not await me.wait_until(phases[(peer.uuid, "execute")]):
                return
            link(me, peer)
        while me.up and peer.up:
            await me.media_wait(None)
        if originator:
            await asyncio.sleep(0)
            unlink(me, peer)
        if me.up:
            me.hangup("NORMAL_CLEARING")

    a.redirect = lambda: bridged(a, b, True)
    b.redirect = lambda: bridged(b, a, False)
    b.leave()
    a.leave()


APPLICATIONS = {"bridge": bridge}
"""The applications of this module (mod_dptools' ``bridge``)."""
