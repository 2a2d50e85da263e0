"""Delivering account webhooks (Kazoo's webhooks application), on the ``webhooks`` queue.

* **Channel events** come from the engine (:mod:`callflow.channel_hooks`): one
  ``kazoo.webhooks.deliver`` task per matching hook, numbered per call and server URL. A
  delivery waits for its predecessor (number *n - 1* of the same call and URL) to be
  finished (delivered, given up or dropped), so each call's events reach a server in
  order.
* **Object events** come from the doc-change notifications: every worker serving the
  ``webhooks`` queue consumes ``<ns>.webhooks.objects`` (bound to the docs exchange for
  Kazoo's object types, :class:`WebhookObjectsStep`) and turns each notification into a
  ``kazoo.webhooks.object_changed`` task, which finds the ``object`` hooks it fires.

A delivery reads its hook again first (a hook disabled or deleted meanwhile drops it),
merges the hook's ``custom_data`` over the payload (Kazoo's rule: custom data wins;
``type`` and ``action`` are the object hook's filters and are not sent), and sends it
(:func:`kazoo_tasks.webhooks.http.send`, ``KAZOO_WEBHOOK_TIMEOUT``). A host the URL
guard refuses (:mod:`kazoo_tasks.url_guard`, the name resolved before each try; redirects
are not followed) is not asked: the try is a failed attempt. A failure (no answer, a
timeout, a status that is not 2xx, a refused host) is tried again after
``KAZOO_WEBHOOK_BACKOFF`` seconds, doubling, until the hook's ``retries`` tries are made
(Kazoo counts them so: ``retries: 2`` is two tries). Every try is an attempt kept for
``GET webhooks/attempts``; ``KAZOO_WEBHOOK_DISABLE_AFTER`` failed tries in a row disable
the hook (``enabled: false``, ``pvt_disabled_message: "too many failed attempts"``) until
someone re-enables it through the API.

A retry waits as a Celery countdown, not in a pool slot; a hanging server holds one slot
for at most the timeout. The call itself never waits for any of it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import redis
from celery import Task, bootsteps, shared_task
from kombu import Consumer, Message, Queue, binding

from kazoo_tasks import logs, services
from kazoo_tasks.bus import celery_queue_name, docs_exchange, queue_arguments
from kazoo_tasks.clock import now_gregorian
from kazoo_tasks.config import Settings
from kazoo_tasks.doc_changes import DOC_DELETED, DOC_EDITED, DocChange, binding_key
from kazoo_tasks.docstore import (
    ACCOUNTS_DB,
    Conflict,
    DocumentStore,
    DocumentStoreError,
    NotFound,
    account_db,
)
from kazoo_tasks.docstore.soft_delete import is_deleted
from kazoo_tasks.metrics import WEBHOOK_DELIVERIES
from kazoo_tasks.url_guard import UrlGuard
from kazoo_tasks.webhooks import (
    AUTO_DISABLE_REASON,
    DELIVER_TASK,
    DISABLED_MESSAGE,
    OBJECT,
    OBJECT_TASK,
    OBJECT_TYPES,
)
from kazoo_tasks.webhooks.attempts import Attempts
from kazoo_tasks.webhooks.http import Sent, send
from kazoo_tasks.webhooks.matching import WEBHOOK_TYPE, matching_hooks, object_wanted

log = logging.getLogger(__name__)

ROLE = "webhooks"
ORDER_TTL = 24 * 3600
"""Seconds a hook's "done up to" mark of one call is kept."""
ORDER_WAIT_LIMIT = 600.0
"""Seconds a delivery waits for its predecessor before it goes anyway (a predecessor
lost for good must not hold a call's later events forever)."""
MAX_TRIES = 5
GO = object()
"""A delivery's turn has come."""
FILTER_KEYS = ("type", "action")


def order_key(namespace: str, order: dict[str, Any]) -> str:
    """The last delivery number finished in one call's lane (server URL)."""
    return f"{namespace}:webhooks:{{{order['call_id']}}}:{order['lane']}:done"


def failures_key(namespace: str, hook_id: str) -> str:
    """Failed tries of ``hook_id`` in a row."""
    return f"{namespace}:webhooks:failures:{hook_id}"


def objects_queue(namespace: str, queue_type: str = "classic") -> Queue:
    """The durable queue of the doc changes ``object`` hooks may want: every change of one
    of Kazoo's object types; of ``queue_type`` (``KAZOO_BROKER_QUEUE_TYPE``: on a cluster a
    classic queue dies with its node, and every worker declaring it then stops)."""
    exchange = docs_exchange(namespace)
    return Queue(
        f"{namespace}.webhooks.objects",
        bindings=[binding(exchange, routing_key=binding_key(pvt_type=t)) for t in OBJECT_TYPES],
        durable=True,
        queue_arguments=queue_arguments(queue_type),
    )


@dataclass(frozen=True)
class Later:
    """Send this delivery again in ``after`` seconds (a retry, or waiting its turn)."""

    delivery: dict[str, Any]
    after: float


class Deliverer:
    """Runs one delivery: its turn, its hook, the request, the attempt and its outcome."""

    def __init__(self, settings: Settings, client: redis.Redis, store: DocumentStore) -> None:
        self.settings = settings
        self.client = client
        self.store = store
        self.attempts = Attempts(client, settings.namespace)
        self.guard = UrlGuard.from_settings(settings)

    def run(self, delivery: dict[str, Any]) -> Any:
        """Deliver (or drop) ``delivery``; a :class:`Later` when it must come back."""
        order = delivery.get("order")
        if order is not None:
            turn = self._turn(delivery, order)
            if turn is not GO:
                return turn
        hook = self._hook(delivery)
        if hook is None:
            WEBHOOK_DELIVERIES.labels(delivery["hook_event"], "dropped").inc()
            self._finish(delivery)
            return None
        return self._send(delivery, hook)

    # -- order ---------------------------------------------------------------------------

    def _turn(self, delivery: dict[str, Any], order: dict[str, Any]) -> object:
        """:data:`GO` when it is this delivery's turn, None when it was done already (a
        duplicate), a :class:`Later` while its predecessor is not finished."""
        key = order_key(self.settings.namespace, order)
        done = int(self.client.get(key) or 0)
        if done >= order["seq"]:
            return None
        if done == order["seq"] - 1:
            return GO
        now = time.time()
        since = delivery.setdefault("waiting_since", now)
        if now - since > ORDER_WAIT_LIMIT:
            log.warning(
                "webhook %s: call %s event %d went without its predecessor (waited %.0f s)",
                delivery["hook_id"], order["call_id"], order["seq"], now - since,
            )  # fmt: skip
            return GO
        waits = delivery["waits"] = delivery.get("waits", 0) + 1
        return Later(delivery, min(0.05 * 2 ** min(waits, 6), 2.0))

    def _finish(self, delivery: dict[str, Any]) -> None:
        """Let the next delivery of the same hook and call go."""
        order = delivery.get("order")
        if order is not None:
            key = order_key(self.settings.namespace, order)
            self.client.set(key, order["seq"], ex=ORDER_TTL)

    # -- the hook ------------------------------------------------------------------------

    def _hook(self, delivery: dict[str, Any]) -> dict[str, Any] | None:
        """The hook as stored now; None when it is gone, deleted or disabled."""
        try:
            hook = self.store.get(account_db(delivery["hook_account_id"]), delivery["hook_id"])
        except NotFound:
            return None
        if hook.get("pvt_type") != WEBHOOK_TYPE or is_deleted(hook):
            return None
        return None if hook.get("enabled", True) is False else hook

    def _send(self, delivery: dict[str, Any], hook: dict[str, Any]) -> Later | None:
        hook_id, hook_event = delivery["hook_id"], delivery["hook_event"]
        account_id = delivery["hook_account_id"]
        tries = min(max(_int(hook.get("retries"), 2), 1), MAX_TRIES)
        attempt = delivery.get("try", 1)
        custom = {k: v for k, v in (hook.get("custom_data") or {}).items() if k not in FILTER_KEYS}
        method = str(hook.get("http_verb") or "post")
        sent = send(
            hook["uri"], method, {**delivery["payload"], **custom},
            timeout=self.settings.webhook_timeout, guard=self.guard,
            body_format=str(hook.get("format") or "form-data"),
            headers={"X-Hook-ID": hook_id, "X-Account-ID": account_id},
        )  # fmt: skip
        self.attempts.record(account_id, _attempt(delivery, hook, method, sent, attempt, tries))
        failures = failures_key(self.settings.namespace, hook_id)
        if sent.ok:
            self.client.delete(failures)
            WEBHOOK_DELIVERIES.labels(hook_event, "success").inc()
            self._finish(delivery)
            return None
        pipe = self.client.pipeline(transaction=False)
        pipe.incr(failures)
        pipe.expire(failures, ORDER_TTL)
        in_a_row = pipe.execute()[0]
        if in_a_row >= self.settings.webhook_disable_after:
            self.client.delete(failures)
            disable(self.store, account_id, hook_id)
            log.warning(
                "webhook %s of account %s disabled: %d failed tries in a row (last: %s)",
                hook_id, account_id, in_a_row, sent.failure,
            )  # fmt: skip
            WEBHOOK_DELIVERIES.labels(hook_event, "disabled").inc()
            self._finish(delivery)
            return None
        if attempt < tries:
            WEBHOOK_DELIVERIES.labels(hook_event, "retry").inc()
            after = self.settings.webhook_backoff * 2 ** (attempt - 1)
            return Later({**delivery, "try": attempt + 1}, after)
        log.info(
            "webhook %s (%s) failed %d times (%s): given up",
            hook_id, hook_event, attempt, sent.failure,
        )  # fmt: skip
        WEBHOOK_DELIVERIES.labels(hook_event, "failure").inc()
        self._finish(delivery)
        return None


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _attempt(
    delivery: dict[str, Any],
    hook: dict[str, Any],
    method: str,
    sent: Sent,
    attempt: int,
    tries: int,
) -> dict[str, Any]:
    """One attempt as Kazoo's ``webhooks/attempts`` lists it."""
    entry: dict[str, Any] = {
        "hook_id": delivery["hook_id"],
        "hook_event": delivery["hook_event"],
        "event_id": delivery["event_id"],
        "uri": hook["uri"],
        "method": method,
        "result": "success" if sent.ok else "failure",
        "try": attempt,
        "retries_left": 0 if sent.ok else tries - attempt,
        "timestamp": now_gregorian(),
    }
    if delivery["payload"].get("call_id"):
        entry["call_id"] = delivery["payload"]["call_id"]
    if sent.status is not None:
        entry["resp_status_code"] = str(sent.status)
    if not sent.ok:
        if sent.status is None:
            entry.update(reason="kazoo http client error", client_error=sent.failure)
        else:
            entry["reason"] = "bad response code"
    return entry


def disable(store: DocumentStore, account_id: str, hook_id: str) -> bool:
    """Disable a hook as Kazoo's disabler does; False when it was disabled already."""
    db = account_db(account_id)
    while True:
        try:
            doc = store.get(db, hook_id)
        except NotFound:
            return False
        if doc.get("enabled", True) is False:
            return False
        doc.update(enabled=False, pvt_modified=now_gregorian())
        doc[DISABLED_MESSAGE] = AUTO_DISABLE_REASON
        try:
            store.save(db, doc)
        except Conflict:
            continue
        return True


@shared_task(name=DELIVER_TASK, bind=True, acks_late=True, ignore_result=True, max_retries=None)
def deliver(self: Task, delivery: dict[str, Any]) -> None:
    """Deliver one event to one hook (see the module docstring)."""
    settings = self.app.kazoo_settings  # type: ignore[attr-defined]
    call_id = (delivery.get("order") or {}).get("call_id")
    with logs.bound(call_id=call_id, account_id=delivery.get("hook_account_id")):
        deliverer = Deliverer(
            settings,
            services.redis_client(settings),
            services.process_document_store(settings),
        )
        later = deliverer.run(delivery)
    if later is not None:
        raise self.retry(args=[later.delivery], countdown=later.after)


@shared_task(
    name=OBJECT_TASK,
    bind=True,
    acks_late=True,
    ignore_result=True,
    autoretry_for=(DocumentStoreError,),
    retry_backoff=True,
    max_retries=10,
)
def object_changed(self: Task, body: dict[str, Any]) -> int:
    """Send a doc change to the ``object`` hooks that want it; returns how many."""
    from kazoo_tasks.cache import named_cache

    change = DocChange.from_body(body)
    if (
        not change.account_id
        or change.db == ACCOUNTS_DB  # the index copy of an account: its own db reports it
        or change.pvt_type not in OBJECT_TYPES
    ):
        return 0
    settings = self.app.kazoo_settings  # type: ignore[attr-defined]
    store = services.process_document_store(settings)
    hooks = matching_hooks(store, change.account_id, OBJECT, named_cache(settings))
    action = _action(store, change) if hooks else change.name
    wanted = [h for h in hooks if object_wanted(h, action, str(change.pvt_type))]
    payload = {
        "hook_event": OBJECT,
        "id": change.doc_id,
        "account_id": change.account_id,
        "action": action,
        "type": change.pvt_type,
    }
    for hook in wanted:
        delivery = {
            "hook_id": hook["_id"],
            "hook_account_id": hook.get("pvt_account_id") or change.account_id,
            "hook_event": OBJECT,
            "event_id": f"{change.doc_id}@{change.rev}"[:64],
            "payload": payload,
            "order": None,
        }
        self.app.send_task(DELIVER_TASK, [delivery])
    return len(wanted)


def _action(store: DocumentStore, change: DocChange) -> str:
    """The change's action; a soft delete (the API's delete: an edit that marks the
    document ``pvt_deleted``) is the ``doc_deleted`` Kazoo reports."""
    if change.name != DOC_EDITED:
        return change.name
    try:
        doc = store.get(change.db, change.doc_id)
    except NotFound:
        return DOC_DELETED
    return DOC_DELETED if is_deleted(doc) else change.name


class WebhookObjectsStep(bootsteps.ConsumerStep):
    """Worker consumer bootstep: in a worker that serves the ``webhooks`` queue, consume
    the doc changes the ``object`` hooks may want and send each to
    ``kazoo.webhooks.object_changed``."""

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.app = parent.app

    def get_consumers(self, channel: Any) -> list[Consumer]:
        settings: Settings = self.app.kazoo_settings
        serving = self.app.amqp.queues.consume_from or {}
        if serving and celery_queue_name(settings.namespace, ROLE) not in serving:
            return []
        return [
            Consumer(
                channel,
                queues=[objects_queue(settings.namespace, settings.broker_queue_type)],
                callbacks=[self._on_message],
                accept=["json"],
                prefetch_count=100,
            )
        ]

    def _on_message(self, body: Any, message: Message) -> None:
        if isinstance(body, dict):
            self.app.send_task(OBJECT_TASK, [body])
        message.ack()
