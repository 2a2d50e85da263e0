"""Publishers: the greenlets that move hand-off items into Redis and onto the broker.

One greenlet per hand-off shard, so the events of one call are published in order. Each
takes up to :data:`BATCH` items at a time: call events are decoded, appended to their
calls' inboxes in one Redis round trip (with the controlled-set updates they imply),
then one ``handle_events`` task is sent per call (:mod:`kazoo_tasks.inbox`);
registration and conference events become housekeeping tasks. A failed step
is retried with back-off until Redis and the broker are back (meanwhile the hand-off fills
and the reader counts what it has to drop): nothing already taken from the hand-off is
given up while the process runs. The append and the notify are retried separately, so a
broker failure never appends an event twice.

Each ``CHANNEL_EXECUTE_COMPLETE`` of a command ecallmgr wrote settles the call's running
commands (:mod:`.running`): the commands written before it whose own completions were
lost in an ESL gap get a recovered completion, appended just before it; the completion
of a re-sync probe is marked with :data:`~kazoo_tasks.events.RESYNC_HEADER`, so the call
trace shows the gap.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

import gevent
import redis
from celery import Celery
from gevent.queue import Empty, Queue
from kombu import Producer
from kombu.exceptions import KombuError

from kazoo_tasks import inbox
from kazoo_tasks.bus import (
    EVENTS_TASK,
    REGISTRATION_TASK,
    SWITCH_EVENT_TASKS,
    celery_queue_name,
    publish_timeouts,
)
from kazoo_tasks.config import Settings
from kazoo_tasks.esl.frames import parse_event_plain
from kazoo_tasks.events import RESYNC_HEADER, CallEvent, call_event_from_plain, inbox_of
from kazoo_tasks.services import REDIS_ERRORS
from kazoo_tasks.stages import stamp
from kazoo_tasks.task_sender import TaskSender
from workers.ecallmgr.backoff import Backoff
from workers.ecallmgr.broker_liveness import (
    broker_connection,
    close,
    drop,
    idle_interval,
    keep_alive,
)
from workers.ecallmgr.claims import CommandClaims
from workers.ecallmgr.controlled import ControlledCalls
from workers.ecallmgr.intake import HANGUP_COMPLETE, PARK, EventIntake, Handoff
from workers.ecallmgr.running import PROBE_PREFIX, RunningCommands, recovered_completion
from workers.ecallmgr.stats import PUBLISHED_PREFIX, NodeStats

log = logging.getLogger(__name__)

BATCH = 32
"""Most items one publisher takes per round trip."""

EXECUTE_COMPLETE = "CHANNEL_EXECUTE_COMPLETE"

REPLAY_WINDOW = 3.0
"""Seconds of published events kept to store again after Redis restarts (Redis with
``appendfsync everysec`` loses at most about the last second of writes)."""

YIELD_EVERY = 1
"""Decode (or notify) this many events, then let other greenlets (the reader first) run."""

RETRYABLE: tuple[type[BaseException], ...] = (*REDIS_ERRORS, KombuError, OSError)

T = TypeVar("T")


def warm_up(app: Celery) -> None:
    """Connect to the broker and load the publishing code now, before events flow: the
    first publish otherwise holds the CPU (imports, pools) for tens of milliseconds in
    the middle of whatever burst comes first."""
    try:
        with app.producer_or_acquire() as producer:
            producer.connection.ensure_connection(max_retries=1)
    except RETRYABLE as exc:
        log.warning("broker not reachable yet (%s); publishers will retry", exc)


STALL_FACTOR = 3
"""A send may take this many ``KAZOO_BROKER_CONFIRM_TIMEOUT`` (kombu's own reconnects
included) before its connection is dropped."""


class PublishStalled(OSError):
    """A send took too long (:meth:`Publisher._bounded`); retried like a lost connection."""


class Stopped(Exception):
    """The process is stopping and a publish step still fails: the item is given up."""


class Publisher:
    """Drains an :class:`EventIntake` into the call pipeline."""

    def __init__(
        self,
        settings: Settings,
        node: str,
        intake: EventIntake,
        controlled: ControlledCalls,
        running: RunningCommands,
        client: redis.Redis,
        app: Celery,
        stats: NodeStats,
    ):
        self.settings, self.node = settings, node
        self.intake, self.controlled, self.running = intake, controlled, running
        self.client, self.app, self.stats = client, app, stats
        self.claims = CommandClaims(client, settings)
        self.notifier = TaskSender(
            app, EVENTS_TASK, celery_queue_name(settings.namespace, "callflow")
        )
        self.bounds = publish_timeouts(settings.broker_confirm_timeout)
        self.stopping = False
        self.recent: deque[tuple[float, CallEvent]] = deque()
        """(published at, event) of the last :data:`REPLAY_WINDOW` seconds."""
        self._greenlets: list[gevent.Greenlet] = []

    def start(self) -> None:
        """Spawn one publisher greenlet per hand-off shard."""
        self._greenlets = [gevent.spawn(self._run, queue) for queue in self.intake.queues]

    def stop(self, drain_timeout: float) -> None:
        """Publish what is queued (for at most ``drain_timeout`` s), then stop."""
        with gevent.Timeout(drain_timeout, False):
            while self.intake.depth():
                gevent.sleep(0.05)
        left = self.intake.depth()
        if left:
            log.error("stopping with %d events not published", left)
        self.stopping = True
        gevent.killall(self._greenlets, timeout=drain_timeout)

    def _run(self, queue: Queue) -> None:
        # One producer (broker connection) per greenlet for its whole life: acquiring one
        # from the pool for every task costs as much as a third of the send. The greenlet
        # drives the connection's heartbeats while it has nothing to publish.
        connection = broker_connection(self.app, self.settings)
        producer = Producer(connection)
        idle = idle_interval(self.settings)
        try:
            connection.ensure_connection(max_retries=1)  # before the first events come
        except RETRYABLE as exc:
            log.warning("broker not reachable yet (%s); the first publish retries", exc)
        try:
            while True:
                try:
                    batch = [queue.get(timeout=idle)]
                except Empty:
                    self._keep_alive(producer)
                    continue
                while len(batch) < BATCH:
                    try:
                        batch.append(queue.get_nowait())
                    except Empty:
                        break
                try:
                    self._publish(batch, producer)
                except Stopped:
                    for item in batch:
                        if item.done is not None and not item.done.ready():
                            item.done.set_exception(Stopped("ecallmgr stopped"))
                    return
                self.stats.gauge("handoff.depth", self.intake.depth())
        finally:
            close(connection)

    def _keep_alive(self, producer: Producer) -> None:
        """Heartbeats of the idle connection; a silent broker (a frozen node) costs the
        connection, and the next publish opens another (the next node of a cluster)."""
        connection = producer.connection
        try:
            keep_alive(connection)
        except (*connection.connection_errors, OSError) as exc:
            self.stats.incr("publish.broker_dropped")
            log.warning("broker connection dropped: %s; the next publish opens another", exc)
            drop(connection)
            producer.revive(connection)

    def _publish(self, batch: list[Handoff], producer: Producer) -> None:
        events: list[CallEvent] = []
        registrations: list[tuple[str, dict[str, str]]] = []
        replays = [item.payload for item in batch if item.kind == "replay"]
        if replays:
            self._publish_replays(replays, producer)
        for index, item in enumerate(batch, 1):
            if item.kind == "replay":
                continue
            if item.kind == "wake":
                self._notify(producer, item.call_id)
                continue
            if item.kind == "synthetic":
                events.append(item.payload)
            elif item.kind == "event":
                plain = parse_event_plain(item.payload)
                event = call_event_from_plain(plain, self.node, item.received_at)
                if item.leg_of:
                    event["leg_of"] = item.leg_of
                events.append(event)
            else:
                registrations.append((item.name, parse_event_plain(item.payload).headers))
            if index % YIELD_EVERY == 0:
                gevent.sleep(0)
        if events:
            self._publish_events(events, producer)
        for subclass, headers in registrations:
            self._retry(
                f"send a {subclass} task",
                lambda s=subclass, h=headers: self._bounded(
                    producer,
                    lambda: self.app.send_task(
                        SWITCH_EVENT_TASKS[s],
                        args=[s, self.node, h],
                        queue=celery_queue_name(self.settings.namespace, "housekeeping"),
                        ignore_result=True,
                        producer=producer,
                        **self.bounds,
                    ),
                ),
            )
            registration = SWITCH_EVENT_TASKS[subclass] == REGISTRATION_TASK
            counter = "registrations" if registration else "conference_events"
            self.stats.incr(f"publish.{counter}")
        for item in batch:
            if item.done is not None:
                item.done.set(True)

    def _publish_events(self, events: list[CallEvent], producer: Producer) -> None:
        own = [e for e in events if not e.get("leg_of")]  # B legs' are their A's business
        parked = [e["call_id"] for e in own if e["name"] == PARK]
        ended = [e["call_id"] for e in own if e["name"] == HANGUP_COMPLETE]
        events, completed = self._settle_running(events, ended)
        self._retry(
            "store events and controlled calls",
            lambda: self._store(events, parked, ended, completed),
        )
        for call_id in parked:
            stamp("appended", call_id)
            log.debug(
                "call parked, taken into control", extra={"call_id": call_id, "node": self.node}
            )
        if ended:
            self._retry("expire the command claims", lambda: self.claims.end_calls(ended))
        for index, call_id in enumerate(dict.fromkeys(inbox_of(e) for e in events), 1):
            self._notify(producer, call_id)
            stamp("notified", call_id)
            if index % YIELD_EVERY == 0:
                gevent.sleep(0)
        self.stats.incr("publish.events", len(events))
        for event in events:
            self.stats.incr(PUBLISHED_PREFIX + event["name"])
        self.stats.incr("publish.batches")
        self.stats.gauge("publish.last_at", time.time())
        self._remember(events)

    def _remember(self, events: list[CallEvent]) -> None:
        """Keep what was published in the last :data:`REPLAY_WINDOW` seconds."""
        now = time.monotonic()
        recent = self.recent
        recent.extend((now, event) for event in events)
        while recent and now - recent[0][0] > REPLAY_WINDOW:
            recent.popleft()

    def replay_recent(self, names: frozenset[str] | None = None) -> int:
        """Store again the events published in the last :data:`REPLAY_WINDOW` seconds
        (Redis restarted and may have lost them), only those named ``names`` if given:
        the engine skips those it applied already (FreeSWITCH's Event-Sequence) and
        applies those it never saw. Returns how many were queued."""
        events = [e for _, e in self.recent if names is None or e["name"] in names]
        for event in events:
            self.intake.submit(event, kind="replay")
        self.stats.incr("publish.replayed", len(events))
        return len(events)

    def _publish_replays(self, events: list[CallEvent], producer: Producer) -> None:
        self._retry("store replayed events", lambda: self._store(events, [], [], []))
        for call_id in dict.fromkeys(inbox_of(e) for e in events):
            self._notify(producer, call_id)

    def _notify(self, producer: Producer, call_id: str) -> None:
        """Send the task that makes a worker drain ``call_id``'s inbox."""
        self._retry(
            "send the handle_events task",
            lambda: self._bounded(producer, lambda: self.notifier.send(producer, call_id)),
        )

    def _bounded(self, producer: Producer, send: Callable[[], T]) -> T:
        """Run one send (its retries and reconnects included) for at most
        :data:`STALL_FACTOR` confirm timeouts. The confirm timeout bounds the wait for a
        confirm, not the broker's other replies (a channel opened, a queue declared), which
        a frozen node, or a cluster node waiting for a frozen one, may never send; past
        the bound the connection is dropped (the next try opens one on the next node) and
        :class:`PublishStalled` is raised."""
        if not self.bounds:
            return send()
        try:
            with gevent.Timeout(STALL_FACTOR * self.settings.broker_confirm_timeout):
                return send()
        except gevent.Timeout:
            self.stats.incr("publish.broker_dropped")
            connection = producer.connection
            drop(connection)
            producer.revive(connection)
            raise PublishStalled("the broker did not answer the publish in time") from None

    def _settle_running(
        self, events: list[CallEvent], ended: list[str]
    ) -> tuple[list[CallEvent], list[tuple[str, str]]]:
        """Settle the running commands (in memory) with the completions of ``events``:
        returns the events to store, with a recovered completion inserted before a
        completion that proves earlier commands done, and the settled ``(call_id,
        entry)`` pairs to remove from Redis."""
        out: list[CallEvent] = []
        completed: list[tuple[str, str]] = []
        for event in events:
            command_id = event.get("application_uuid", "")
            if event["name"] == EXECUTE_COMPLETE and command_id and not event.get("leg_of"):
                call_id = event["call_id"]
                finished = self.running.complete(call_id, command_id)
                completed += [(call_id, entry) for entry in finished]
                if command_id.startswith(PROBE_PREFIX):
                    event["headers"][RESYNC_HEADER] = "ESL re-sync probe completed"
                for entry in finished[:-1]:
                    reason = (
                        "completion lost in an ESL gap; confirmed by the completion of "
                        f"{event.get('application_name', '?')} {command_id}, queued after it"
                    )
                    out.append(recovered_completion(event, entry, reason))
                    self.stats.incr("resync.recovered_completions")
            out.append(event)
        self.running.forget(ended)
        return out, completed

    def _store(
        self,
        events: list[CallEvent],
        parked: list[str],
        ended: list[str],
        completed: list[tuple[str, str]],
    ) -> None:
        """One round trip: the inbox appends, the controlled set and the running
        commands. Repeated after a failure (an append whose reply was lost then appears
        twice; events carry FreeSWITCH's Event-Sequence for that case)."""
        pipe = self.client.pipeline(transaction=False)
        inbox.queue_append(pipe, self.settings, events)
        self.controlled.persist(parked, ended, pipe)
        self.running.queue_persist(pipe, completed, ended)
        pipe.execute()

    def _retry(self, what: str, step: Callable[[], T]) -> T:
        backoff = Backoff(base=0.1, cap=5.0)
        while True:
            try:
                return step()
            except RETRYABLE as exc:
                self.stats.incr("publish.retries")
                if self.stopping:
                    raise Stopped(what) from exc
                delay = backoff.next_delay()
                log.warning("cannot %s (%s); retrying in %.1f s", what, exc, delay)
                gevent.sleep(delay)
