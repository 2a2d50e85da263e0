"""FreeSWITCH's ``intercept`` application (mod_dptools ``intercept_function``,
``switch_ivr_intercept_session``).

No transcript holds it; this follows FreeSWITCH 1.10's source. ``intercept <uuid>``
(``-bleg <uuid>``: the channel bridged to it) takes over channel ``uuid``: nothing happens
when it is unknown, gone or the caller itself, or when ``intercept_unbridged_only`` /
``intercept_unanswered_only`` is true and it is bridged / answered. Otherwise the
interceptor is answered, so is the target (if it was not), and the target is marked
intercepted: the ``bridge`` it runs ends with ``PICKED_OFF`` (``originate_disposition``)
without hanging it up, its ringing legs hang up with ``PICKED_OFF``, and ``uuid_bridge``
bridges the interceptor (the originator) to it. The channel the target was bonded to (its
ringing leg, or the channel it talked to) hangs up with ``PICKED_OFF``.

A target that is bridged already (``-bleg <uuid>``: the channel talking to ``uuid``; or a
target talking to someone, as Kazoo's cf_move takes it) leaves its bridge as FreeSWITCH
parks it with ``CF_TRANSFER``: CHANNEL_UNBRIDGE on the bridge's originator, and whatever
ran the bridge (the ``bridge`` application, a ``uuid_bridge``, an answered leg) lets the
target go without hanging it up; the channel it talked to hangs up with ``PICKED_OFF``.
"""

from __future__ import annotations

import logging

from kazoo_tasks.esl.emulator.bridging import unlink, uuid_bridge
from kazoo_tasks.esl.emulator.session import Session
from kazoo_tasks.esl.emulator.switch import Switch

log = logging.getLogger(__name__)


def _target(switch: Switch, data: str) -> Session | None:
    """The channel ``data`` names (with ``-bleg``: the one bridged to it)."""
    args = data.split()
    if not args:
        return None
    if args[0].lower() != "-bleg":
        return switch.session(args[0])
    named = switch.session(args[1]) if len(args) > 1 else None
    return named.partner if named is not None else None


def install(switch: Switch) -> None:
    """Add the application to the switch."""

    async def intercept(session: Session, data: str) -> None:
        target = _target(switch, data)
        if target is None or target is session or not target.up:
            return
        channel = session.channel
        if channel.is_true("intercept_unbridged_only") and target.partner is not None:
            return
        if channel.is_true("intercept_unanswered_only") and target.channel.answered:
            return
        bonded = target.bond if target.bond is not session else None
        partner = target.partner
        if partner is not None:  # FreeSWITCH parks the target (CF_TRANSFER): it leaves
            originator, other = (
                (partner, target) if partner.bridge_originator else (target, partner)
            )
            unlink(originator, other)
        session.answer()
        target.answer()
        if not target.intercepted.done():
            target.intercepted.set_result(session.uuid)
        uuid_bridge(session, target)
        if bonded is not None and bonded.up:
            bonded.hangup("PICKED_OFF")

    switch.applications.load({"intercept": intercept})
