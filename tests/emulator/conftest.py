"""Fixtures for the emulator's tests: an emulator on a free port, stopped afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from kazoo_tasks.esl.emulator import Emulator
from kazoo_tasks.esl.emulator.client import EslClient
from tests.emulator.replay import fs_peer_dialplan

FIXTURE_CORE_UUID = "3769e155-140c-4cc2-b847-ee1293f4e86c"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """An emulator as the transcripts' FreeSWITCH was set up (fs_peer dialplan), fast."""
    emu = Emulator(
        hostname="fs1.example.net",
        time_scale=0.02,
        dialplan=fs_peer_dialplan,
    )
    emu.config.core_uuid = FIXTURE_CORE_UUID
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture
def park_emulator() -> Iterator[Emulator]:
    """An emulator with the default dialplan (park every call), fast."""
    with Emulator(time_scale=0.01) as emu:
        yield emu


@pytest.fixture
def esl(park_emulator: Emulator) -> Iterator[Callable[..., EslClient]]:
    """Open authenticated ESL clients to ``park_emulator``; all closed afterwards."""
    clients: list[EslClient] = []

    def connect(*events: str) -> EslClient:
        client = EslClient("127.0.0.1", park_emulator.port, timeout=5)
        if events:
            client.subscribe(*events)
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.close()
