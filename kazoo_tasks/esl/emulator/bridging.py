"""Bridges: the ``bridge`` application and ``api uuid_bridge``, and what a bridge does.

Two answered channels are bridged (:func:`link`: CHANNEL_BRIDGE on the originator, a
CALL_UPDATE on each leg) until one hangs up (:func:`unlink`: CHANNEL_UNBRIDGE), as
``switch_ivr_multi_threaded_bridge`` does. The ``bridge`` application first rings its dial
string (:mod:`.originate`); when that fails the caller goes on or is hung up as
``switch_channel_handle_cause`` decides (``continue_on_fail``, ``failure_causes``); when the
bridge ends the caller goes on, or hangs up with ``hangup_after_bridge``.
"""

from __future__ import annotations

import asyncio

from kazoo_tasks.esl.emulator import sofia
from kazoo_tasks.esl.emulator.channel import CallerProfile
from kazoo_tasks.esl.emulator.originate import originate
from kazoo_tasks.esl.emulator.session import Session


def _profile_of(session: Session) -> CallerProfile:
    profile = session.channel.profile
    assert profile is not None
    return profile


def handle_failure_cause(session: Session, cause: str) -> None:
    """After a failed bridge: go on or hang up, as ``switch_channel_handle_cause`` does.

    With ``continue_on_fail`` (true, or a list of causes or Q.850 codes) or
    ``failure_causes`` (the causes that do not go on) the call goes on; NO_ANSWER,
    NO_USER_RESPONSE and ORIGINATOR_CANCEL go on unless ``failure_causes`` is set; anything
    else hangs the caller up with the cause.
    """
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
        if channel.is_true("continue_on_fail"):
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
    """Bridge two answered sessions: CHANNEL_BRIDGE on the originator ``a``, CALL_UPDATEs
    and the ``bridge_*`` variables on both."""
    switch = a.switch
    now = switch.now_us()
    a_profile, b_profile = _profile_of(a), _profile_of(b)
    a.partner, b.partner = b, a
    a.bridge_originator = True
    if a.channel.other is None or a.channel.other[1].uuid != b.uuid:
        a.channel.other = ("originatee", b_profile.copy())
    if b.channel.other is None or b.channel.other[1].uuid != a.uuid:
        b.channel.other = ("originator", a_profile.copy())
    a_profile.times.bridged = now
    b_profile.times.bridged = now
    a.bond, b.bond = b, a
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
    """The ``bridge`` application: ring the dial string, bridge the winner, wait for the end.

    Its outcome is in the caller's variables, never in ``Application-Response``:
    ``originate_disposition`` / ``DIALSTATUS`` (and ``originate_failed_cause`` when no leg
    answered), ``originate_causes``, ``last_bridge_hangup_cause``.
    """
    channel = session.channel
    outcome = await originate(session.switch, data, caller=session)
    if outcome.leg is None:
        channel.set_var("originate_failed_cause", outcome.cause)
        if not session.intercepted.done():  # an intercepted caller goes to its new bridge
            handle_failure_cause(session, outcome.cause)
        return
    b = outcome.leg.session
    if not session.up:
        b.hangup("ORIGINATOR_CANCEL")
        return
    session.answer()
    channel.set_var("signal_bond", b.uuid)
    link(session, b)
    outcome.leg.after_answer.set_result(None)
    while session.up and b.up and session.partner is b:
        await session.media_wait(None)
    await asyncio.sleep(0)  # the far leg's own hangup events come first, as in FreeSWITCH
    if session.partner is b:  # (an intercept that took one of them unlinked them already)
        unlink(session, b)
    if b.up and b.bond is session:
        b.hangup("NORMAL_CLEARING")
    if session.up and session.bond is b and channel.is_true("hangup_after_bridge"):
        session.hangup("NORMAL_CLEARING")


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
    a.bond, b.bond = b, a

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
        while me.up and peer.up and me.bond is peer:  # (an intercept may take one away)
            await me.media_wait(None)
        if originator:
            await asyncio.sleep(0)
            if me.partner is peer:
                unlink(me, peer)
        if me.up and me.bond is peer:
            me.hangup("NORMAL_CLEARING")

    a.redirect = lambda: bridged(a, b, True)
    b.redirect = lambda: bridged(b, a, False)
    b.leave()
    a.leave()


APPLICATIONS = {"bridge": bridge}
"""The applications of this module (mod_dptools' ``bridge``)."""
