"""AMQP heartbeats on ecallmgr's long-lived broker connections, in the greenlet that owns
each connection.

A frozen broker node (SIGSTOP, a GC pause, a stalled VM) keeps its TCP connections open and
answers nothing: without heartbeats a connection to it looks alive forever. py-amqp only
sends and checks heartbeats when asked (``heartbeat_check``); an idle publisher reads
nothing either, so the broker's heartbeats would wait unread in the socket and the check
would give up a healthy connection. :func:`keep_alive` therefore reads what is pending,
then checks. It runs in the greenlet that owns the connection (never beside it: two
greenlets on one socket would interleave frames), when that greenlet is idle; a busy one
reads and writes anyway, and the publisher confirm timeout
(:func:`kazoo_tasks.bus.publish_timeouts`) bounds a publish to a frozen node.
"""

from __future__ import annotations

import gevent
from celery import Celery
from kombu import Connection

from kazoo_tasks.config import Settings

RATE = 2
"""Heartbeats sent per heartbeat interval; the connection is given up when the broker sent
nothing for two intervals (py-amqp's rule)."""

DRAIN_TIMEOUT = 0.01
"""Seconds one read of pending frames may wait."""

MAX_FRAMES = 64
"""Most pending frames one :func:`keep_alive` reads (heartbeats arrive every half interval)."""

CLOSE_TIMEOUT = 2.0
"""Seconds a graceful close may take before the connection is simply dropped."""


def broker_connection(app: Celery, settings: Settings) -> Connection:
    """A new (lazy) connection to the broker, with ``KAZOO_BROKER_HEARTBEAT`` negotiated."""
    return app.connection_for_write(heartbeat=settings.broker_heartbeat)


def idle_interval(settings: Settings) -> float | None:
    """How long an owner may wait idle before calling :func:`keep_alive` (None: heartbeats
    off, wait as long as needed)."""
    if settings.broker_heartbeat <= 0:
        return None
    return settings.broker_heartbeat / (2 * RATE)


def keep_alive(connection: Connection) -> None:
    """Read the frames the broker sent (its heartbeats), then send ours if due. Raises one
    of ``connection.connection_errors`` when the broker has been silent for two heartbeat
    intervals (or the connection is broken); the caller drops the connection (:func:`drop`).
    A connection not opened yet is left alone."""
    if not connection.connected:
        return
    try:
        for _ in range(MAX_FRAMES):
            connection.drain_events(timeout=DRAIN_TIMEOUT)
    except TimeoutError:
        pass
    connection.heartbeat_check(rate=RATE)


def drop(connection: Connection) -> None:
    """Forget the connection without the closing handshake (the broker may never answer
    it); the broker requeues what was not acknowledged when it sees the socket closed.
    The connection object opens a new one when used again, on the next URL of its
    failover list (a silent node is likely to stay so; one URL: the same)."""
    connection.collect()
    connection.maybe_switch_next()


def close(connection: Connection) -> None:
    """Close gracefully, or :func:`drop` if the broker does not answer in time."""
    try:
        with gevent.Timeout(CLOSE_TIMEOUT):
            connection.release()
    except (gevent.Timeout, *connection.connection_errors, OSError):
        drop(connection)
