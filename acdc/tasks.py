"""Celery tasks and the worker sweep of ACDc.

``kazoo.acdc.distribute`` offers the waiting callers of some queues to their ready agents
and delivers the offers to the callers' inboxes (at once after a change; the sweep also
offers in every queue with callers waiting, so a lost task only delays).
``kazoo.acdc.member_ended`` runs when a caller's call ends (``ctx.at_call_end``) and takes
it out of its queue, releasing or hanging up the agent it had;
``kazoo.acdc.member_transferred`` does the same for one stay when the call is transferred
out of its node. Both are idempotent: they run ``acks_late``, go back on the queue when
their worker dies and retry while Redis or the document store fails
(:func:`~kazoo_tasks.durable_task.store_writing_task`). Should a caller's leaving be lost
all the same, the distributor takes out a caller whose call has ended when it meets one
(:meth:`Distributor.distribute`). :class:`AcdcSweepStep` runs :meth:`Distributor.sweep`
for every account with live ACDc state in each worker's event loop (wrap-up and pause
ends, offer leases), like the call timers' drainer.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from celery import Celery, Task, bootsteps, shared_task

from acdc.archive import archive
from acdc.distributor import Distributor
from acdc.keys import accounts_key
from acdc.queue import Queues
from kazoo_tasks import inbox, services
from kazoo_tasks.bus import celery_queue_name, publish_timeouts
from kazoo_tasks.callstate import CallStore
from kazoo_tasks.config import Settings
from kazoo_tasks.durable_task import store_writing_task
from kazoo_tasks.events import CallEvent
from kazoo_tasks.services import REDIS_UNAVAILABLE

log = logging.getLogger(__name__)

DISTRIBUTE_TASK = "kazoo.acdc.distribute"
MEMBER_ENDED_TASK = "kazoo.acdc.member_ended"
MEMBER_TRANSFERRED_TASK = "kazoo.acdc.member_transferred"
SWEEP_INTERVAL = 0.2
"""Seconds between two sweeps of a worker."""


def distributor_for(
    client: redis.Redis, app: Celery | None, settings: Settings, account_id: str
) -> Distributor:
    """The account's distributor; with ``app`` its offers reach the callers' inboxes."""
    queues = Queues(client, settings.namespace, account_id)
    calls = CallStore(client, settings)

    def call_status(call_id: str) -> str | None:
        record = calls.records([call_id]).get(call_id)
        return None if record is None else str(record.get("status"))

    if app is None:
        return Distributor(queues, grace=settings.acdc_offer_grace, call_status=call_status)

    def deliver(events: list[CallEvent]) -> None:
        inbox.deliver_many(client, app, settings, events)

    return Distributor(queues, deliver, settings.acdc_offer_grace, call_status)


def offer_again(distributor: Distributor, queue_ids: set[str] | list[str]) -> int:
    """Distribute ``queue_ids``; returns how many offers were made."""
    return sum(len(distributor.distribute(q)) for q in sorted(queue_ids))


def request_distribution(app: Celery, settings: Settings, account_id: str, queues: Any) -> None:
    """Ask a worker to distribute ``queues`` of the account now (the API, after a change);
    best effort: with the broker unreachable, the workers' sweep offers the callers of
    every queue that has some within :data:`SWEEP_INTERVAL` anyway."""
    if not queues:
        return
    try:
        app.send_task(
            DISTRIBUTE_TASK,
            args=[account_id, sorted(queues)],
            queue=celery_queue_name(settings.namespace, "callflow"),
            ignore_result=True,
            retry=False,
            **publish_timeouts(settings.broker_confirm_timeout),
        )
    except Exception:  # noqa: BLE001 - the sweep catches up
        log.warning("could not ask for a distribution of %s; the sweep will", sorted(queues))


@shared_task(name=DISTRIBUTE_TASK, bind=True, acks_late=True, ignore_result=True)
def distribute(self: Task, account_id: str, queue_ids: list[str]) -> int:
    """Offer the waiting callers of ``queue_ids`` to ready agents; returns the offers."""
    settings: Settings = self.app.kazoo_settings
    client = services.redis_client(settings)
    return offer_again(distributor_for(client, self.app, settings, account_id), queue_ids)


def _caller_gone(
    app: Celery, account_id: str, queue_id: str, call_id: str, reason: str, visit: str = ""
) -> None:
    """Take the caller out of its queue (:meth:`Distributor.caller_left`), offer again,
    and store the account's call stats (:mod:`acdc.archive`)."""
    settings: Settings = app.kazoo_settings  # type: ignore[attr-defined]
    client = services.redis_client(settings)
    distributor = distributor_for(client, app, settings, account_id)
    _, again = distributor.caller_left(queue_id, call_id, reason, visit)
    offer_again(distributor, again)
    archive(distributor.queues, services.process_document_store(settings))


@store_writing_task(MEMBER_ENDED_TASK, also_retry_for=REDIS_UNAVAILABLE)
def member_ended(
    self: Task, account_id: str, queue_id: str, call_id: str, ended: dict[str, Any]
) -> None:
    """The caller's call ended: out of the queue (abandoned by hangup unless it was
    connected), its offer given up, its agent to wrap-up."""
    _caller_gone(self.app, account_id, queue_id, call_id, "hangup")


@store_writing_task(MEMBER_TRANSFERRED_TASK, also_retry_for=REDIS_UNAVAILABLE)
def member_transferred(
    self: Task, account_id: str, queue_id: str, call_id: str, visit: str
) -> None:
    """The caller's call was transferred out of its ``acdc_member`` node (its agent sent
    it elsewhere): that stay in the queue ends (handled if it was connected, else
    abandoned by ``transfer``) and its agent is free (wrap-up), whatever comes next."""
    _caller_gone(self.app, account_id, queue_id, call_id, "transfer", visit)


class AcdcSweep:
    """Sweeps every account's due set (one per worker process)."""

    def __init__(self, client: redis.Redis, app: Celery, settings: Settings) -> None:
        self.client = client
        self.app = app
        self.settings = settings
        self._failing_since: float | None = None

    def sweep(self) -> int:
        """One pass over the accounts; returns the offers made."""
        made = 0
        for account_id in sorted(self.client.smembers(accounts_key(self.settings.namespace))):
            distributor = distributor_for(self.client, self.app, self.settings, account_id)
            due = distributor.sweep()
            busy = set(distributor.queues.busy_queues())
            made += offer_again(distributor, due | busy)  # a lost distribute task too
            for queue_id in busy:
                distributor.queues.settle_idle(queue_id)
        return made

    def tick(self) -> None:
        """One sweep from the worker's event loop; a failure is logged once per outage."""
        try:
            self.sweep()
        except Exception:
            if self._failing_since is None:
                self._failing_since = time.monotonic()
                log.exception("ACDc sweep failed; retrying every tick")
            return
        if self._failing_since is not None:
            log.info("ACDc sweep recovered after %.1fs", time.monotonic() - self._failing_since)
            self._failing_since = None


class AcdcSweepStep(bootsteps.StartStopStep):
    """Worker consumer bootstep: an :class:`AcdcSweep` on the consumer's timer."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self._tref: Any = None
        self._client: redis.Redis | None = None

    def start(self, parent: Any) -> None:
        settings: Settings = parent.app.kazoo_settings
        self._client = services.new_redis_client(
            settings, socket_timeout=2, socket_connect_timeout=2
        )
        sweeper = AcdcSweep(self._client, parent.app, settings)
        self._tref = parent.timer.call_repeatedly(SWEEP_INTERVAL, sweeper.tick)

    def stop(self, parent: Any) -> None:
        if self._tref is not None:
            self._tref.cancel()
            self._tref = None
        if self._client is not None:
            self._client.close()
            self._client = None

    shutdown = stop
