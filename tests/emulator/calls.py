"""Helpers for tests that drive emulated calls over ESL, as a controller (ecallmgr) would."""

from __future__ import annotations

from typing import Any

from kazoo_tasks.esl.emulator import Call, Emulator
from kazoo_tasks.esl.emulator.client import EslClient
from kazoo_tasks.esl.frames import PlainEvent


def parked_call(emulator: Emulator, destination: str, **options: Any) -> Call:
    """A call placed to ``destination`` and parked (the default dialplan parks every call)."""
    call = emulator.place_call(destination, **options)
    call.wait_parked()
    return call


def execute_until(client: EslClient, call: Call, app: str, arg: str, event: str) -> PlainEvent:
    """Execute ``app`` on the call and wait for its ``event`` (named like FreeSWITCH's)."""
    client.execute(call.uuid, app, arg)
    return client.wait_event(event, uuid_=call.uuid)


def events_until_hangup(client: EslClient, uuid_: str) -> list:
    out = []
    while True:
        event = client.next_event(5)
        assert event is not None, f"no hangup; got {[e.name for e in out]}"
        if event.headers.get("Unique-ID") == uuid_ or event.name == "BACKGROUND_JOB":
            out.append(event)
        if event.name == "CHANNEL_HANGUP_COMPLETE" and event.headers.get("Unique-ID") == uuid_:
            return out
