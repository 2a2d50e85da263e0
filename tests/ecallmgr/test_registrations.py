"""Registrations: sofia::register / unregister events become live registrations in Redis,
through ecallmgr and a real Celery worker; late events never undo newer ones."""

from __future__ import annotations

import json
import logging

import pytest
from celery.contrib.testing.worker import start_worker

from kazoo_tasks.bus import celery_queue_name
from kazoo_tasks.celery_app import make_app
from kazoo_tasks.esl.frames import FrameReader, parse_event_plain
from kazoo_tasks.keys import registration_key, registration_pattern, registration_tombstone_key
from tests.ecallmgr.conftest import NODE, node_stats
from tests.ecallmgr.transcripts import REGISTER
from tests.waiting import wait_for
from workers.registrations import apply_registration, registration_record


def subclass(frame: bytes) -> str:
    return parse_event_plain(FrameReader().feed(frame)[0].body).headers.get("Event-Subclass", "")


def recorded(name: str) -> bytes:
    return next(f for f in REGISTER.events() if subclass(f) == name)


@pytest.fixture
def housekeeping_worker(node_settings):
    """A Celery worker thread serving the housekeeping queue of the test's namespace."""
    app = make_app(node_settings)
    app.conf.include = ["workers.registrations"]
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        with start_worker(
            app,
            perform_ping_check=False,
            queues=[celery_queue_name(node_settings.namespace, "housekeeping")],
        ):
            yield app
    finally:  # the test worker sets the root logger up for itself: undo it
        root.setLevel(level)
        root.handlers[:] = handlers


def test_given_register_then_unregister_events_then_the_registration_lives_then_goes(
    switch, spawn_ecallmgr, node_settings, redis_client, housekeeping_worker
):
    spawn_ecallmgr()
    wait_for(switch.subscribed)
    key = registration_key(node_settings.namespace, "127.0.0.1", "1001")
    switch.send(b"".join(f for f in REGISTER.events() if subclass(f) != "sofia::unregister"))

    stored = json.loads(wait_for(lambda: redis_client.get(key), what="the registration"))
    assert stored["contact"] == '"" <sip:1001@127.0.0.1:5062>'
    assert (stored["realm"], stored["user"], stored["node"]) == ("127.0.0.1", "1001", NODE)
    assert (stored["network_ip"], stored["network_port"]) == ("127.0.0.1", "5062")
    assert stored["user_agent"] == "sipp-reg" and stored["expires"] == 300
    assert 290 < redis_client.ttl(key) <= 300
    assert list(redis_client.scan_iter(registration_pattern(node_settings.namespace, "127.0.0.1")))

    switch.send(recorded("sofia::unregister"))
    wait_for(lambda: redis_client.get(key) is None, what="the unregistration")
    stats = wait_for(
        lambda: (
            (s := node_stats(redis_client, node_settings)).get("reader.events")
            == len(REGISTER.events())
            and s
        )
    )
    assert stats["publish.registrations"] == 2  # pre_register, register_attempt... dropped


def test_given_events_applied_out_of_order_then_the_newest_one_wins(node_settings, redis_client):
    def record(name: str) -> dict:
        return registration_record(
            parse_event_plain(FrameReader().feed(recorded(name))[0].body).headers, NODE
        )

    register, unregister = record("sofia::register"), record("sofia::unregister")
    key = registration_key(node_settings.namespace, "127.0.0.1", "1001")
    assert apply_registration(redis_client, node_settings, "sofia::unregister", unregister)
    assert not apply_registration(redis_client, node_settings, "sofia::register", register)
    assert redis_client.get(key) is None
    tombstone = registration_tombstone_key(node_settings.namespace, "127.0.0.1", "1001")
    assert redis_client.exists(tombstone)

    newer = {**register, "timestamp_us": unregister["timestamp_us"] + 1}
    assert apply_registration(redis_client, node_settings, "sofia::register", newer)
    assert json.loads(redis_client.get(key))["timestamp_us"] == newer["timestamp_us"]
