"""Sending one Celery task many times, cheaply: ``send_task`` for the hot paths.

``Celery.send_task`` routes the task, builds its whole message and resolves every option
on each call (about 160 us of CPU here); ecallmgr sends ``handle_events`` for every batch
of events. A :class:`TaskSender` asks
Celery once for the task's route and message (``app.amqp.as_task_v2``); each send copies
that message with a new task id and its arguments and hands it to Celery's own
``send_task_message`` (about 90 us): the same protocol, queue, publish options, retry
policy and signals as ``send_task``, and the publish bounds of
``KAZOO_BROKER_CONFIRM_TIMEOUT`` (:func:`kazoo_tasks.bus.publish_timeouts`).

Two of ``send_task``'s per-message costs are skipped where they buy nothing: the queue's
declaration once it is declared on the producer's connection
(:func:`kazoo_tasks.bus.undeclared`), and ``saferepr`` of the arguments (the
``argsrepr`` monitoring shows) when their ``repr`` is short already.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.utils import uuid
from celery.utils.saferepr import saferepr
from kombu import Producer

from kazoo_tasks.bus import publish_timeouts, undeclared

ARGSREPR_LIMIT = 1024
"""Longest ``repr`` of the arguments sent as it is (longer ones go through ``saferepr``)."""


class TaskSender:
    """Sends task ``name`` (to ``queue``, else where the app routes it), result ignored;
    ``app`` is one of :func:`kazoo_tasks.celery_app.make_app` (its ``kazoo_settings``
    give the publish bounds)."""

    def __init__(self, app: Celery, name: str, queue: str | None = None) -> None:
        self.name = name
        self._app = app
        options = {"queue": queue} if queue else {}
        self._queue = app.amqp.router.route(options, name, args=(), kwargs={})["queue"]
        settings = app.kazoo_settings  # type: ignore[attr-defined]  # set once configured
        self._bounds = publish_timeouts(settings.broker_confirm_timeout)
        self._template = app.amqp.as_task_v2(uuid(), name, args=(), kwargs={}, ignore_result=True)

    def send(self, producer: Producer, *args: Any) -> str:
        """Publish one task with positional ``args`` (JSON-serializable); returns its id."""
        task_id = uuid()
        headers, properties, body, _ = self._template
        message = self._template._replace(
            headers={**headers, "id": task_id, "root_id": task_id, "argsrepr": _argsrepr(args)},
            properties={**properties, "correlation_id": task_id},
            body=(list(args), {}, body[2]),
        )
        self._app.amqp.send_task_message(
            producer,
            self.name,
            message,
            queue=self._queue,
            declare=undeclared(producer, self._queue),
            **self._bounds,
        )
        return task_id


def _argsrepr(args: tuple[Any, ...]) -> str:
    text = repr(args)
    return text if len(text) <= ARGSREPR_LIMIT else saferepr(args)
