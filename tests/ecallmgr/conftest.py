"""Fixtures for ecallmgr tests: a transcript-replaying switch, ecallmgr subprocesses, and
helpers that read what reached Redis and the broker."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from kombu import Connection

from kazoo_tasks.bus import command_exchange, command_queue
from kazoo_tasks.config import FreeswitchNode, Settings
from kazoo_tasks.esl.emulator import Emulator
from kazoo_tasks.events import subscription_command
from kazoo_tasks.inbox import EVENT_FIELD, inbox_key
from kazoo_tasks.keys import node_key
from kazoo_tasks.testing import RoleProcess
from tests.conftest import TEST_REDIS_URL
from tests.ecallmgr.fs_peer import PeerConnection, TranscriptSwitch
from tests.ecallmgr.transcripts import call_events, park_index
from workers.ecallmgr.reconcile import CONFIRM_DELAYS

NODE = "fs1"
REPO = Path(__file__).resolve().parents[2]

HANDSHAKE = b"auth ClueCon\n\n" + subscription_command().encode() + b"\n\n"
"""What ecallmgr writes first on every connection: auth, then its subscription."""
LISTING = b"api show channels as json\n\n"
"""The re-sync's channel listing, written after the handshake (and again a moment later)."""
MARK_READ = re.compile(rb"api global_getvar kazoo_tasks_\w+_written\n\n")
"""The re-sync's reading of the written mark (workers/ecallmgr/written_mark.py), right
after the listing, before anything is written."""


WRITTEN_MARK = re.compile(rb"api global_setvar kazoo_tasks_\w+_written=[^\n]*\n\n")
"""The written mark ecallmgr writes behind each ``sendmsg execute``."""


def without_marks(written: bytes) -> bytes:
    """``written`` without the written marks (the commands alone)."""
    return WRITTEN_MARK.sub(b"", written)


def after_resync(conn: PeerConnection) -> bytes:
    """What ecallmgr wrote on ``conn`` after its handshake, re-sync listing and reading of
    the written mark, the later settling listing left out."""
    received = bytes(conn.received)
    assert received.startswith(HANDSHAKE + LISTING), received[:300]
    rest = received[len(HANDSHAKE + LISTING) :]
    mark_read = MARK_READ.match(rest)
    assert mark_read, rest[:300]
    return rest[mark_read.end() :].replace(LISTING, b"")


def resynced(conn: PeerConnection) -> bool:
    """Whether ecallmgr has written on ``conn`` its whole re-sync: handshake, listing and
    the reading of the written mark (the mark is read a moment after the listing: waiting
    for the listing alone races it)."""
    received = bytes(conn.received)
    start = len(HANDSHAKE + LISTING)
    return received.startswith(HANDSHAKE + LISTING) and bool(MARK_READ.match(received, start))


def confirmed(conn: PeerConnection) -> bool:
    """Whether ecallmgr's re-sync on ``conn`` is over: the first listing and the confirming
    ones (:data:`CONFIRM_DELAYS`) written, and every command written so far dealt with by
    the switch (so a switch that stops answering now cannot catch a re-sync listing)."""
    listings = bytes(conn.received).count(LISTING)
    return listings > len(CONFIRM_DELAYS) and conn.handled == len(conn.commands)


def new_call_id() -> str:
    """A fresh channel UUID (36 characters, like FreeSWITCH's)."""
    return str(uuid.uuid4())


def park_call(switch: TranscriptSwitch, call_id: str) -> tuple[list[bytes], int]:
    """Make ``call_id`` a channel on the switch and send its recorded events up to its
    CHANNEL_PARK; returns the call's events and the park's index (to send the rest)."""
    switch.channels.add(call_id)
    events = call_events(call_id)
    park = park_index(events)
    switch.send(b"".join(events[: park + 1]))
    return events, park


@pytest.fixture
def switch() -> Iterator[TranscriptSwitch]:
    """A running transcript switch on a free port."""
    server = TranscriptSwitch().start()
    yield server
    server.stop()


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """The package's FreeSWITCH emulator, parking every call, 50 times faster than real
    time (a module using it overrides ``esl_port`` with its port)."""
    with Emulator(time_scale=0.02, originate_timeout=5) as emu:
        yield emu


def subscribed(emulator: Emulator) -> list[Any]:
    """The emulator's connections that subscribed to events."""
    return list(emulator.switch.listeners)


@pytest.fixture
def esl_port(switch: TranscriptSwitch) -> int:
    """Port of the switch ecallmgr connects to (a test module may override this)."""
    return switch.port


@pytest.fixture
def node_settings(settings: Settings, esl_port: int) -> Settings:
    """Settings whose only node listens on ``esl_port``, with short delays for tests."""
    return settings.with_overrides(
        freeswitch_nodes=(FreeswitchNode(NODE, "127.0.0.1", esl_port, "ClueCon"),),
        esl_reconnect_max_delay=2.0,
        esl_lease_ttl=2.0,
        esl_command_timeout=2.0,
    )


@pytest.fixture
def spawn_ecallmgr(node_settings: Settings, tmp_path: Path) -> Iterator[Callable[..., RoleProcess]]:
    """Start ecallmgr subprocesses (killed at teardown); ``overrides`` change settings."""
    started: list[RoleProcess] = []

    def spawn(**overrides: Any) -> RoleProcess:
        settings = node_settings.with_overrides(**overrides)
        log_path = tmp_path / f"ecallmgr-{len(started)}.log"
        process = RoleProcess(["ecallmgr"], settings, log_path, env={"KAZOO_LOG_LEVEL": "INFO"})
        started.append(process.start())
        return process

    yield spawn
    for process in started:
        process.kill()


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    yield client
    client.close()


def node_stats(client: redis.Redis, settings: Settings) -> dict[str, float]:
    """The stats hash the active ecallmgr writes every second."""
    raw = client.hgetall(node_key(settings.namespace, NODE, "stats"))
    return {k: (v if k == "owner" else float(v)) for k, v in raw.items()}


def inbox(client: redis.Redis, settings: Settings, call_id: str) -> list[dict[str, Any]]:
    """The events stored in a call's inbox, oldest first."""
    entries = client.xrange(inbox_key(settings, call_id))
    return [json.loads(fields[EVENT_FIELD]) for _, fields in entries]


def publish_command(settings: Settings, command: Any) -> None:
    """Publish a call command to the test node the way a callflow worker does."""
    with Connection(settings.broker_url) as conn:
        conn.Producer().publish(
            command,
            exchange=command_exchange(settings.namespace),
            routing_key=NODE,
            declare=[command_queue(settings.namespace, NODE)],
            serializer="json",
        )


def queued_commands(settings: Settings) -> int:
    """Messages waiting (not delivered to a consumer) in the node's command queue."""
    with Connection(settings.broker_url) as conn:
        queue = command_queue(settings.namespace, NODE)(conn.default_channel)
        return queue.queue_declare(passive=True).message_count


def playback(call_id: str, command_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """A playback command for ``call_id`` on the test node."""
    return {
        "id": command_id or str(uuid.uuid4()),
        "call_id": call_id,
        "node": NODE,
        "kind": "execute",
        "app": "playback",
        "args": "tone_stream://%(1000,0,440);loops=2",
        **fields,
    }
