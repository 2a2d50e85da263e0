"""Housekeeping tasks: writing CDRs, reaping calls nobody will ever finish, and a ping.

``write_cdrs`` stores the CDRs the navigator spooled (:mod:`callflow.cdr_spool`), in
batches; a CDR's id is deterministic, so one stored twice is found there the second time
and skipped. ``reap_calls`` runs from Celery beat: a call
whose FreeSWITCH node has had no heartbeat for ``Settings.node_down_grace`` seconds, or
that has had no event for ``Settings.orphan_timeout`` seconds, is closed by a synthetic
``CALL_REAPED`` event delivered through its inbox like any other event, so it is applied
under the call's lock, exactly once, and ends with a CDR like any other call (which
gives back its limits' claims); claims whose call was never seen to end expire, and the
reaper drops them (:mod:`kazoo_tasks.limit_claims`).
``purge_deleted`` runs from beat too: soft-deleted documents older than
``Settings.soft_delete_retention`` are removed for good (Kazoo's kt_cleanup).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from celery import Task, shared_task

from callflow.cdr import ANONYMOUS_CDRS_DB, summary
from callflow.cdr_spool import cdr_spool
from kazoo_tasks import inbox, logs, services
from kazoo_tasks.bus import WRITE_CDR_TASK, WRITE_CDRS_TASK
from kazoo_tasks.callstate import ActiveCalls
from kazoo_tasks.callstate.store import now
from kazoo_tasks.clock import now_gregorian
from kazoo_tasks.docstore import Conflict, DocumentStore, account_db
from kazoo_tasks.docstore.soft_delete import purge_deleted
from kazoo_tasks.durable_task import store_writing_task
from kazoo_tasks.events import CallEvent
from kazoo_tasks.limit_claims import LimitClaims
from kazoo_tasks.metrics import CALLS_ENDED
from kazoo_tasks.services import REDIS_UNAVAILABLE

log = logging.getLogger(__name__)

REAP_TASK = "kazoo.housekeeping.reap_calls"
PURGE_TASK = "kazoo.housekeeping.purge_deleted"
PING_TASK = "kazoo.housekeeping.ping"
NODE_DOWN_CAUSE = "NODE_DOWN"
ORPHANED_CAUSE = "ORPHANED"


def save_cdrs(store: DocumentStore, cdrs: Sequence[dict[str, Any]]) -> int:
    """Save ``cdrs``, each in its account's database, one request per database
    (:meth:`~kazoo_tasks.docstore.DocumentStore.save_many`); returns how many were new (a
    CDR already there is skipped). Each first save logs the call's one INFO line
    (:func:`callflow.cdr.summary`)."""
    by_db: dict[str, list[dict[str, Any]]] = {}
    for cdr in cdrs:
        account_id = cdr.get("account_id")
        by_db.setdefault(account_db(account_id) if account_id else ANONYMOUS_CDRS_DB, []).append(
            cdr
        )
    saved = 0
    for db, batch in by_db.items():
        store.ensure_db(db)
        for cdr, outcome in zip(batch, store.save_many(db, batch), strict=True):
            if not isinstance(outcome, Conflict):
                _ended(cdr)
                saved += 1
    return saved


def _ended(cdr: dict[str, Any]) -> None:
    """Count and log a call whose CDR was just stored."""
    context = {"call_id": cdr.get("call_id"), "account_id": cdr.get("account_id")}
    with logs.bound(**context, node=cdr.get("media_server")):
        CALLS_ENDED.labels(cdr.get("hangup_cause") or "UNKNOWN").inc()
        log.info("%s", summary(cdr))


@store_writing_task(WRITE_CDRS_TASK, also_retry_for=REDIS_UNAVAILABLE)
def write_cdrs(self: Task) -> int:
    """Store a batch of spooled CDRs (:mod:`callflow.cdr_spool`); returns how many were
    new. A retry (same task id: the store or Redis failed) resumes the same batch; more
    CDRs waiting behind it get a flush of their own."""
    settings = self.app.kazoo_settings
    spool = cdr_spool(settings)
    batch = spool.take(self.request.id)
    store = services.process_document_store(settings)
    saved = save_cdrs(store, batch.cdrs)
    spool.done(self.request.id)
    if batch.left:
        self.app.send_task(WRITE_CDRS_TASK, ignore_result=True)
    return saved


@store_writing_task(WRITE_CDR_TASK)
def write_cdr(self: Task, cdr: dict[str, Any]) -> bool:
    """Save one CDR sent as a task (versions before the spool did, one per call; a rolling
    upgrade may leave some queued); False when it was already there."""
    return save_cdrs(services.process_document_store(self.app.kazoo_settings), [cdr]) == 1


@shared_task(name=PING_TASK, ignore_result=False)
def ping() -> str:
    """A task that does nothing: its round trip (publish, run, result) is the floor of this
    deployment's Celery, which ``kazoo-tasks bench`` measures beside the calls."""
    return "pong"


def reaped_event(call_id: str, node: str, cause: str) -> CallEvent:
    """The synthetic event that closes a call the switch will never report on."""
    at = now()
    return {
        "name": "CALL_REAPED",
        "call_id": call_id,
        "node": node,
        "timestamp": at,
        "sequence": 0,
        "received_at": at,
        "headers": {},
        "hangup_cause": cause,
    }


@shared_task(name=REAP_TASK, bind=True, ignore_result=True)
def reap_calls(self: Task) -> int:
    """Close calls of dead nodes and calls without events for too long; returns how many."""
    settings = self.app.kazoo_settings
    client = services.redis_client(settings)
    active = ActiveCalls(client, settings)
    at = now()
    reaped = 0
    for node in active.nodes():
        down_for = active.down_for(node, at)
        if down_for is not None and down_for >= settings.node_down_grace:
            doomed = {call_id: NODE_DOWN_CAUSE for call_id in active.calls(node)}
        else:
            idle_since = at - settings.orphan_timeout
            doomed = {call_id: ORPHANED_CAUSE for call_id in active.calls(node, idle_since)}
        for call_id, cause in doomed.items():
            log.warning("reaping call %s of node %s: %s", call_id, node, cause)
            inbox.deliver(client, self.app, settings, reaped_event(call_id, node, cause))
            active.forget(call_id, node)
            reaped += 1
    dropped = LimitClaims(client, settings.namespace).sweep(at)
    if dropped:
        log.warning("dropped %d expired limit claims (calls whose end was never seen)", dropped)
    return reaped


@shared_task(name=PURGE_TASK, bind=True, ignore_result=True)
def purge_deleted_documents(self: Task) -> int:
    """Remove the documents soft-deleted longer ago than the retention; returns how many."""
    settings = self.app.kazoo_settings
    store = services.process_document_store(settings)
    purged = purge_deleted(store, now_gregorian() - settings.soft_delete_retention)
    if purged:
        log.info("purged %d soft-deleted documents", purged)
    return purged
