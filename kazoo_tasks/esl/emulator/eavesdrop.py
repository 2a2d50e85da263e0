"""FreeSWITCH's ``eavesdrop`` application (mod_dptools, ``switch_ivr_eavesdrop_session``).

No transcript holds it; this follows FreeSWITCH 1.10's source: with no live channel of
that uuid (or its own) the application returns at once; otherwise it pre-answers the
eavesdropper, adds an ``eavesdrop`` media bug to the target (MEDIA_BUG_START on the
target, ``Media-Bug-Function: eavesdrop``, ``Media-Bug-Target``: its uuid) and listens
until the target hangs up, the eavesdropper hangs up or, with
``eavesdrop_enable_dtmf=true``, presses ``*``; then the bug goes (MEDIA_BUG_STOP).
Media is time here, so nothing is heard; the DTMF mixing keys (1, 2, 3, 0) are ignored.
"""

from __future__ import annotations

from kazoo_tasks.esl.emulator.session import Session
from kazoo_tasks.esl.emulator.switch import Switch


def install(switch: Switch) -> None:
    """Add the application to the switch."""

    async def eavesdrop(session: Session, data: str) -> None:
        target = switch.session(data.strip())
        if target is None or target is session or not target.up:
            return
        session.pre_answer()
        bug = [("Media-Bug-Function", "eavesdrop"), ("Media-Bug-Target", target.uuid)]
        target.fire("MEDIA_BUG_START", pre=bug)
        stop_keys = "*" if session.channel.is_true("eavesdrop_enable_dtmf") else ""

        def listen(digit: str) -> None:
            if digit in stop_keys:
                session.interrupt("dtmf")

        target.ended.add_done_callback(lambda _: session.interrupt("target"))
        with session.listening(listen):
            while session.up and target.up:
                if await session.media_wait(None) in ("dtmf", "target", "hangup"):
                    break
        target.fire("MEDIA_BUG_STOP", pre=bug)

    switch.applications.load({"eavesdrop": eavesdrop})
