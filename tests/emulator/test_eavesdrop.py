"""The emulator's ``eavesdrop`` (FreeSWITCH's, from its source: no transcript has it): it
listens until the target hangs up or ``*`` is pressed, with a media bug on the target;
an unknown uuid ends it at once."""

from __future__ import annotations

from collections.abc import Callable

from kazoo_tasks.esl.emulator import Emulator
from kazoo_tasks.esl.emulator.client import EslClient

EVENTS = ("CHANNEL_EXECUTE_COMPLETE", "MEDIA_BUG_START", "MEDIA_BUG_STOP")


def parked(emu: Emulator):
    call = emu.place_call("1000")
    call.wait_for_event("CHANNEL_PARK", timeout=5)
    return call


def test_given_a_target_call_when_it_hangs_up_then_the_eavesdrop_ends(
    park_emulator: Emulator, esl: Callable[..., EslClient]
):
    client = esl(*EVENTS)
    target, listener = parked(park_emulator), parked(park_emulator)

    client.execute(listener.uuid, "eavesdrop", target.uuid)
    bug = client.wait_event("MEDIA_BUG_START", uuid_=target.uuid, timeout=5)
    assert (bug.headers["Media-Bug-Function"], bug.headers["Media-Bug-Target"]) == (
        "eavesdrop",
        target.uuid,
    )
    target.hangup()

    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", uuid_=listener.uuid, timeout=5)
    assert done.headers["Application"] == "eavesdrop"
    assert listener.is_up
    listener.hangup()


def test_given_dtmf_enabled_when_star_is_pressed_then_the_eavesdrop_ends(
    park_emulator: Emulator, esl: Callable[..., EslClient]
):
    client = esl(*EVENTS)
    target, listener = parked(park_emulator), parked(park_emulator)
    client.execute(listener.uuid, "set", "eavesdrop_enable_dtmf=true")

    client.execute(listener.uuid, "eavesdrop", target.uuid)
    client.wait_event("MEDIA_BUG_START", uuid_=target.uuid, timeout=5)
    listener.press("*")

    client.wait_event("MEDIA_BUG_STOP", uuid_=target.uuid, timeout=5)
    assert target.is_up
    target.hangup()
    listener.hangup()


def test_given_an_unknown_uuid_then_the_eavesdrop_ends_at_once(
    park_emulator: Emulator, esl: Callable[..., EslClient]
):
    client = esl(*EVENTS)
    listener = parked(park_emulator)

    client.execute(listener.uuid, "eavesdrop", "no-such-uuid")

    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", uuid_=listener.uuid, timeout=5)
    assert done.headers["Application"] == "eavesdrop"
    listener.hangup()
