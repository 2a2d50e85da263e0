"""The ``changes`` process: follows every database's change feed and publishes
doc_created / doc_edited / doc_deleted notifications (see :mod:`kazoo_tasks.doc_changes`).

* Which databases changed comes from the store's ``db_updates`` feed (long poll), with a
  sweep of every database now and then as a safety net; new databases are read from
  their first change.
* Each database's ``since`` is checkpointed in Redis after its notifications are
  published, so a restart resumes where the last run stopped (at-least-once).
* One follower is active at a time: it holds a Redis lease and renews it every loop;
  standbys retry the lease and take over when the holder stops renewing.
* Store, broker or Redis failures are logged and retried with exponential backoff.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
import redis
from kombu import Connection, Producer
from kombu.exceptions import OperationalError

from kazoo_tasks import services
from kazoo_tasks.bus import docs_exchange, publish_timeouts, transport_options
from kazoo_tasks.config import Settings, get_settings
from kazoo_tasks.doc_changes import DOC_CREATED, DOC_DELETED, DOC_EDITED, DocChange
from kazoo_tasks.docstore import (
    Change,
    DatabaseNotFound,
    DocumentStore,
    DocumentStoreError,
    account_id_from_db,
)
from kazoo_tasks.docstore.documents import is_design_doc
from kazoo_tasks.keys import changes_lease_key
from kazoo_tasks.lease import RedisLease
from kazoo_tasks.metrics import DOC_CHANGES, DOC_CHANGES_UNANNOUNCED, LEASE_HELD, serve
from kazoo_tasks.services import REDIS_ERRORS

log = logging.getLogger(__name__)

BATCH = 200
SWEEP_INTERVAL_S = 60.0
MAX_BACKOFF_S = 10.0


def notification_for(db: str, change: Change) -> DocChange:
    """The notification one change-feed entry becomes."""
    doc = change.doc or {}
    if change.deleted:
        name = DOC_DELETED
    elif change.rev.startswith("1-"):
        name = DOC_CREATED
    else:
        name = DOC_EDITED
    pvt_type = doc.get("pvt_type")
    return DocChange(
        name=name,
        db=db,
        doc_id=change.id,
        rev=change.rev,
        pvt_type=pvt_type if isinstance(pvt_type, str) else None,
        account_id=account_id_from_db(db) or doc.get("pvt_account_id"),
        seq=change.seq,
    )


class Checkpoints:
    """Where the follower is, in Redis: each database's ``since`` and the db-updates one."""

    def __init__(self, client: redis.Redis, namespace: str) -> None:
        self.client = client
        self.dbs_key = f"{namespace}:changes:since"
        self.updates_key = f"{namespace}:changes:db_updates_since"

    def since(self, db: str) -> str | None:
        return _text(self.client.hget(self.dbs_key, db))

    def save(self, db: str, since: str) -> None:
        self.client.hset(self.dbs_key, db, since)

    def forget(self, db: str) -> None:
        self.client.hdel(self.dbs_key, db)

    def updates_since(self) -> str | None:
        return _text(self.client.get(self.updates_key))

    def save_updates_since(self, since: str) -> None:
        self.client.set(self.updates_key, since)


def _text(value: Any) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


class ChangesFollower:
    """Follows every database of ``store`` and publishes notifications while it holds
    the lease. :meth:`run` loops until ``stop`` is set."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: DocumentStore | None = None,
        redis_client: redis.Redis | None = None,
        lease_ttl: float | None = None,
    ) -> None:
        self.settings = settings
        self.store = store or services.document_store(settings)
        client = redis_client or services.redis_client(settings)
        ttl = lease_ttl if lease_ttl is not None else settings.changes_lease_ttl
        self.lease = RedisLease(client, changes_lease_key(settings.namespace), ttl)
        self.checkpoints = Checkpoints(client, settings.namespace)
        self.unannounced_types = settings.unannounced_types
        self.poll_timeout = max(ttl / 3, 0.1)
        self.exchange = docs_exchange(settings.namespace)
        self.published = 0
        self._bounds = publish_timeouts(settings.broker_confirm_timeout)
        self.following = threading.Event()
        """Set while this follower holds the lease and reads the feeds."""
        broker = Connection(services.broker_url(settings))
        self._broker_errors = (
            OperationalError,
            *broker.connection_errors,
            *broker.channel_errors,
        )

    def run(self, stop: threading.Event) -> None:
        """Hold the lease and follow; on any outage, back off and try again."""
        backoff = 0.5
        try:
            while not stop.is_set():
                try:
                    if not self.lease.acquire():
                        stop.wait(self.poll_timeout)
                        continue
                    log.info("changes follower %s holds the lease", self.lease.owner)
                    LEASE_HELD.labels("changes").set(1)
                    try:
                        self._follow(stop)
                    finally:
                        LEASE_HELD.labels("changes").set(0)
                    backoff = 0.5
                except (DocumentStoreError, *REDIS_ERRORS, OSError, *self._broker_errors) as exc:
                    log.warning("changes follower: %s; retrying in %.1fs", exc, backoff)
                    stop.wait(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_S)
        finally:
            self._release_quietly()

    def _release_quietly(self) -> None:
        try:
            self.lease.release()
        except REDIS_ERRORS as exc:
            log.warning("could not release the changes lease: %s", exc)

    @contextmanager
    def _producer(self) -> Iterator[Producer]:
        # publisher confirms: a notification counts as published (and the checkpoint moves
        # past it) only once the broker has it; each publish and each broker reply is
        # bounded, so a frozen broker fails them instead of holding the follower forever
        options = transport_options(
            self.settings.broker_heartbeat, self.settings.broker_tcp_user_timeout
        )
        with Connection(services.broker_url(self.settings), transport_options=options) as conn:
            conn.ensure_connection(max_retries=1)
            producer = conn.Producer(exchange=self.exchange, serializer="json")
            self.exchange(conn.default_channel).declare()
            yield producer

    def _follow(self, stop: threading.Event) -> None:
        with self._producer() as producer:
            updates_since = self._prime()
            next_sweep = time.monotonic()
            self.following.set()
            try:
                self._loop(stop, producer, updates_since, next_sweep)
            finally:
                self.following.clear()

    def _loop(
        self, stop: threading.Event, producer: Producer, updates_since: str, next_sweep: float
    ) -> None:
        """Read db updates, drain the databases they name, until stopped or leaseless."""
        while not stop.is_set():
            if not self.lease.renew():
                log.warning("changes follower %s lost the lease", self.lease.owner)
                return
            page = self.store.db_updates(updates_since, timeout=self.poll_timeout)
            dirty = set()
            for update in page.results:
                if update.type == "deleted":
                    self.checkpoints.forget(update.db)
                else:
                    dirty.add(update.db)
            if time.monotonic() >= next_sweep:
                dirty.update(self.store.list_dbs())
                next_sweep = time.monotonic() + SWEEP_INTERVAL_S
            for db in sorted(dirty):
                if not self._drain(db, producer):
                    log.warning("changes follower %s lost the lease", self.lease.owner)
                    return
            updates_since = page.last_seq
            self.checkpoints.save_updates_since(updates_since)

    def _prime(self) -> str:
        """The db-updates position to start from; on the very first run, every existing
        database starts at "now" (history is not replayed), later ones at their start."""
        saved = self.checkpoints.updates_since()
        if saved is not None:
            return saved
        start = self.store.db_updates("now").last_seq
        for db in self.store.list_dbs():
            if self.checkpoints.since(db) is None:
                try:
                    self.checkpoints.save(db, self.store.changes(db, "now").last_seq)
                except DatabaseNotFound:
                    continue
        self.checkpoints.save_updates_since(start)
        return start

    def _drain(self, db: str, producer: Producer) -> bool:
        """Publish every change of ``db`` after its checkpoint, advancing the checkpoint;
        False when the lease was lost on the way."""
        since = self.checkpoints.since(db) or "0"
        while True:
            try:
                page = self.store.changes(db, since, limit=BATCH, include_docs=True)
            except DatabaseNotFound:
                self.checkpoints.forget(db)
                return True
            for change in page.results:
                if not is_design_doc(change.id):
                    self._announce(producer, notification_for(db, change))
            if page.last_seq != since:
                since = page.last_seq
                self.checkpoints.save(db, since)
            if len(page.results) < BATCH:
                return True
            if not self.lease.renew():
                return False

    def _announce(self, producer: Producer, notification: DocChange) -> None:
        """Publish ``notification`` unless its document is of a type nobody is told of:
        records written once and read by no cache or hook (CDRs, ledgers, audit logs...).
        Each call's CDR was one more notification, delivered to every process that caches
        documents, for nothing (the broker's CPU per call fell 9 % relative to the
        emulator's without them: docs/performance.md). A change whose type is unknown (a tombstone)
        is announced: it may be anything."""
        if notification.pvt_type in self.unannounced_types:
            DOC_CHANGES_UNANNOUNCED.labels(notification.pvt_type).inc()
            return
        self._publish(producer, notification)

    def _publish(self, producer: Producer, notification: DocChange) -> None:
        producer.publish(
            notification.to_body(),
            routing_key=notification.routing_key,
            retry=True,
            retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5},
            **self._bounds,
        )
        self.published += 1
        DOC_CHANGES.labels(notification.name).inc()
        log.debug("published %s %s", notification.name, notification.routing_key)


@click.command("changes")
def command() -> None:
    """Follow every database's change feed and publish doc-change notifications."""
    settings = get_settings()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    follower = ChangesFollower(settings)
    serve(settings.metrics_host, settings.changes_metrics_port, lambda: not stop.is_set())
    follower.run(stop)
