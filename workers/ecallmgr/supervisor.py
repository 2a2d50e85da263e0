"""A node's life cycle: standby until the lease is ours, then connect, serve, reconnect.

While active (lease held) the supervisor keeps one ESL connection up, reconnecting with
exponential back-off and jitter (re-authenticating and re-subscribing each time); while
a connection is up it reconciles the controlled calls, consumes the node's command queue
and refreshes the node heartbeat ``<ns>:node:<name>:alive``. Losing the lease closes the
connection at once and goes back to standby.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import gevent
import redis
from celery import Celery
from gevent.event import Event
from greenswitch.esl import NotConnectedError
from kombu import Connection

from kazoo_tasks import services
from kazoo_tasks.bus import command_queue
from kazoo_tasks.config import FreeswitchNode, Settings
from kazoo_tasks.keys import node_key
from kazoo_tasks.lease import RedisLease
from kazoo_tasks.metrics import ESL_CONNECTED, LEASE_HELD
from kazoo_tasks.services import REDIS_ERRORS
from workers.ecallmgr.backoff import Backoff
from workers.ecallmgr.command_consumer import CommandConsumer
from workers.ecallmgr.command_executor import CommandExecutor
from workers.ecallmgr.connection import AuthenticationFailed, EslConnection, EslError
from workers.ecallmgr.controlled import ControlledCalls
from workers.ecallmgr.intake import HANGUP_COMPLETE, EventIntake
from workers.ecallmgr.lease_keeper import keep_lease
from workers.ecallmgr.publisher import Publisher
from workers.ecallmgr.reconcile import Gap, Resync
from workers.ecallmgr.running import RunningCommands
from workers.ecallmgr.stats import MetricsExport, NodeStats, flush_forever

log = logging.getLogger(__name__)

HEARTBEAT_TTL = 10
"""Seconds the node heartbeat key lives; it is refreshed every third of that."""

STABLE_AFTER = 5.0
"""A connection that lived this long resets the reconnect back-off."""

CONSUMER_DRAIN_INTERVAL = 0.5
"""How often the command consumer checks whether it must stop, seconds."""


class NodeSupervisor:
    """Runs one FreeSWITCH node in this process (active or standby)."""

    def __init__(
        self,
        settings: Settings,
        node: FreeswitchNode,
        owner: str,
        client: redis.Redis,
        app: Celery,
    ):
        self.settings, self.node, self.owner = settings, node, owner
        self.client, self.app = client, app
        ns, name = settings.namespace, node.name
        self.stats = NodeStats()
        self.export = MetricsExport(name, self.stats)
        self.lease = RedisLease(client, node_key(ns, name, "lease"), settings.esl_lease_ttl, owner)
        self.controlled = ControlledCalls(client, node_key(ns, name, "controlled"))
        self.running = RunningCommands(client, ns, settings.call_ttl)
        self.intake = EventIntake(self.controlled, self.stats, settings.esl_event_buffer)
        self.publisher = Publisher(
            settings, name, self.intake, self.controlled, self.running, client, app, self.stats
        )
        self.executor = CommandExecutor(
            settings, name, owner, client, self.intake, self.controlled, self.running, self.stats,
            self._still_leased,
        )  # fmt: skip
        self.resync = Resync(
            name, ns, client, self.controlled, self.running, self.intake, self.stats,
            self.executor.claims,
        )  # fmt: skip
        self._disconnected_at: float | None = None
        self._stopping = Event()
        self._lease_lost = Event()
        self._wake = Event()
        self._conn: EslConnection | None = None

    # -- public ------------------------------------------------------------------------

    def run(self) -> None:
        """Serve the node until :meth:`stop` (run in a greenlet)."""
        self.publisher.start()
        flusher: gevent.Greenlet | None = None
        try:
            while not self._stopping.is_set():
                if not self._wait_for_lease():
                    break
                flusher = gevent.spawn(
                    flush_forever,
                    self.stats,
                    self.client,
                    node_key(self.settings.namespace, self.node.name, "stats"),
                    self.owner,
                    self.export,
                )
                try:
                    self._serve_while_leased()
                finally:
                    flusher.kill()
                    self.export.export()
                    self.export.clear()
        finally:
            self.publisher.stop(drain_timeout=5.0)
            if self._stopping.is_set():
                try:
                    self.lease.release()
                except REDIS_ERRORS as exc:
                    log.warning("node %s: cannot release the lease: %s", self.node.name, exc)

    def healthy(self) -> bool:
        """False while this process should serve the node and is not connected to it
        (standby counts as healthy: another process serves the node)."""
        if self._stopping.is_set() or not self.stats.gauges.get("active"):
            return True
        return bool(self.stats.gauges.get("connected"))

    def stop(self) -> None:
        """Leave gracefully: ``exit`` to FreeSWITCH, requeue unacked commands, release."""
        self._stopping.set()
        self._wake.set()

    # -- standby -----------------------------------------------------------------------

    def _wait_for_lease(self) -> bool:
        poll = self.lease.ttl / 4
        announced = False
        while not self._stopping.is_set():
            try:
                if self.lease.try_acquire():
                    log.info("node %s: lease acquired, %s is active", self.node.name, self.owner)
                    self.stats.gauge("active", 1)
                    LEASE_HELD.labels(f"node:{self.node.name}").set(1)
                    return True
                if not announced:
                    log.info(
                        "node %s: standby (lease held by %s)", self.node.name, self.lease.holder()
                    )
                    announced = True
            except REDIS_ERRORS as exc:
                log.warning("node %s: cannot reach Redis for the lease: %s", self.node.name, exc)
            self._stopping.wait(poll)
        return False

    # -- active ------------------------------------------------------------------------

    def _serve_while_leased(self) -> None:
        self._lease_lost = Event()
        self._lease_lost.rawlink(lambda _: self._wake.set())
        keeper = gevent.spawn(keep_lease, self.lease, self._lease_lost, self._data_lost)
        try:
            try:
                self.controlled.load()
                self.running.load(self.controlled)
                self._disconnected_at = self._last_heard_of()
            except REDIS_ERRORS as exc:
                log.error("node %s: cannot load the controlled calls (%s)", self.node.name, exc)
                return
            backoff = Backoff(cap=self.settings.esl_reconnect_max_delay)
            while self._active():
                started = time.monotonic()
                reason = self._connect_and_serve()
                if not self._active():
                    break
                if time.monotonic() - started >= STABLE_AFTER:
                    backoff.reset()
                delay = backoff.next_delay()
                log.warning(
                    "node %s: %s; reconnecting in %.1f s (attempt %d)",
                    self.node.name,
                    reason,
                    delay,
                    backoff.attempts,
                )
                self._sleep(delay)
        finally:
            keeper.kill()
            self.stats.gauge("active", 0)
            LEASE_HELD.labels(f"node:{self.node.name}").set(0)

    def _still_leased(self) -> bool:
        """Whether the node's lease is still ours by this process's clock; if not, step
        down now (the keeper would learn it only at its next renewal)."""
        if self.lease.valid():
            return True
        self._lease_lost.set()
        return False

    def _active(self) -> bool:
        return not self._stopping.is_set() and not self._lease_lost.is_set()

    def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        if self._active():
            self._wake.wait(seconds)

    def _connect_and_serve(self) -> str:
        """One connection's life; returns why it ended."""
        before = set(self.controlled)  # the calls a gap may have left behind
        conn = EslConnection(
            self.node,
            self.intake.offer,
            self.stats,
            command_timeout=self.settings.esl_command_timeout,
        )
        self._conn = conn
        try:
            conn.connect()
        except AuthenticationFailed as exc:
            self.stats.incr("esl.auth_failures")
            log.error("node %s: %s", self.node.name, exc)
            return "authentication failed"
        except EslError as exc:
            self.stats.incr("esl.connect_failures")
            return str(exc)
        self.stats.incr("esl.connects")
        self.stats.gauge("connected", 1)
        ESL_CONNECTED.labels(self.node.name).set(1)
        log.info("node %s: connected to %s:%s and subscribed", self.node.name, conn.host, conn.port)
        try:
            return self._serve(conn, before)
        finally:
            self._disconnected_at = time.time()
            self.stats.gauge("connected", 0)
            ESL_CONNECTED.labels(self.node.name).set(0)
            self.stats.incr("esl.disconnects")
            if not conn.closed.is_set():
                conn.stop()

    def _serve(self, conn: EslConnection, before: set[str]) -> str:
        conn.closed.rawlink(lambda _: self._wake.set())
        gap = Gap(self._disconnected_at, time.time())
        try:
            first, _ = self.resync.begin(conn, gap, before)
        except (EslError, NotConnectedError, *REDIS_ERRORS) as exc:
            return f"re-sync failed: {exc}"
        settling = gevent.spawn(self._confirm, conn, gap, before, first)
        heartbeat = gevent.spawn(self._beat, conn)
        consumer = CommandConsumer(
            Connection(
                services.broker_url(self.settings), heartbeat=self.settings.broker_heartbeat
            ),
            command_queue(self.settings.namespace, self.node.name, self.settings.broker_queue_type),
            self.executor,
            conn,
        )
        consuming = gevent.spawn(consumer.run, CONSUMER_DRAIN_INTERVAL)
        try:
            while self._active() and not conn.closed.is_set():
                self._wake.clear()
                self._wake.wait(1.0)
                self.stats.gauge("controlled.calls", len(self.controlled))
        finally:
            consumer.stop()
            consuming.join(timeout=CONSUMER_DRAIN_INTERVAL * 4)
            consuming.kill()
            heartbeat.kill()
            settling.kill()
            if not conn.closed.is_set():
                conn.stop()
            self._stop_heartbeat()
        return conn.close_reason or "stopped"

    def _confirm(
        self, conn: EslConnection, gap: Gap, before: set[str], first: dict[str, Any]
    ) -> None:
        """The confirming re-sync passes (see :mod:`.reconcile`)."""
        try:
            self.resync.confirm(conn, gap, before, first)
        except (EslError, NotConnectedError, *REDIS_ERRORS) as exc:
            log.warning("node %s: confirming re-sync failed: %s", self.node.name, exc)

    def _data_lost(self, wiped: bool) -> None:
        """Redis restarted (``wiped``: with all its data gone): repair in a greenlet."""
        gevent.spawn(self._repair, wiped)

    def _repair(self, wiped: bool) -> None:
        """Store again what this process knows: the controlled calls and their running
        commands, and the events of the last seconds. When Redis lost everything, the
        calls' states are gone with their events: replaying their parks would start them
        again, so only the hangups are replayed (for their CDRs) and the engine checks
        every controlled call instead (routing the never-answered parked ones, ending the
        others); when Redis rolled back its last second, every recent event is replayed."""
        try:
            self.controlled.store_all()
            self.running.store_all()
            conn = self._conn
            if wiped:
                self.publisher.replay_recent(frozenset({HANGUP_COMPLETE}))
                if conn is not None and not conn.closed.is_set():
                    self.resync.check_states(conn)
            else:
                self.publisher.replay_recent()
        except (EslError, NotConnectedError, *REDIS_ERRORS) as exc:
            log.error("node %s: repairing after a Redis data loss failed: %s", self.node.name, exc)

    def _last_heard_of(self) -> float | None:
        """When the node's previous active process last wrote its stats (a takeover's gap
        starts about then); None when nothing is known."""
        key = node_key(self.settings.namespace, self.node.name, "stats")
        value = self.client.hget(key, "updated_at")
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None

    def _stop_heartbeat(self) -> None:
        """The connection is gone: the node's heartbeat goes at once (if it is ours), so the
        reaper's clock (``KAZOO_NODE_DOWN_GRACE``) starts now, not when the key expires."""
        key = node_key(self.settings.namespace, self.node.name, "alive")
        try:
            if self.client.get(key) == self.owner:
                self.client.delete(key)
        except REDIS_ERRORS as exc:
            log.warning("node %s: cannot remove the heartbeat: %s", self.node.name, exc)

    def _beat(self, conn: EslConnection) -> None:
        key = node_key(self.settings.namespace, self.node.name, "alive")
        while not conn.closed.is_set():
            try:
                self.client.set(key, self.owner, ex=HEARTBEAT_TTL)
            except REDIS_ERRORS as exc:
                log.warning("node %s: cannot write the heartbeat: %s", self.node.name, exc)
            gevent.sleep(HEARTBEAT_TTL / 3)
