"""A FreeSWITCH 1.10.12 emulator speaking inbound Event Socket, with scripted callers.

Start one in-process (tests, benchmark)::

    from kazoo_tasks.esl.emulator import Emulator, script

    with Emulator(time_scale=0.01) as emu:
        call = emu.place_call("1000", script=[script.on_first_playback_press("1")])
        ...

or as a process: ``kazoo-tasks emulator serve``. See docs/emulator.md.
"""

from kazoo_tasks.esl.emulator import script
from kazoo_tasks.esl.emulator.directory import CallRefused, Credentials
from kazoo_tasks.esl.emulator.emulator import Call, Emulator, FloodReport, ReceivedCommand
from kazoo_tasks.esl.emulator.media import MediaCatalog
from kazoo_tasks.esl.emulator.script import (
    Step,
    after,
    hangup_after,
    on_answer,
    on_app,
    on_bridge,
    on_event,
    on_first_playback_press,
    on_playback,
    on_start,
    press_after,
)

__all__ = [
    "Call",
    "CallRefused",
    "Credentials",
    "Emulator",
    "FloodReport",
    "MediaCatalog",
    "ReceivedCommand",
    "Step",
    "after",
    "hangup_after",
    "on_answer",
    "on_app",
    "on_bridge",
    "on_event",
    "on_first_playback_press",
    "on_playback",
    "on_start",
    "press_after",
    "script",
]
