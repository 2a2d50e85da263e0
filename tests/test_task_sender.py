"""TaskSender: the cheap send_task of the hot paths, checked against a real worker."""

from __future__ import annotations

import threading

from celery.contrib.testing.worker import start_worker

from kazoo_tasks.bus import celery_queue_name
from kazoo_tasks.celery_app import make_app
from kazoo_tasks.task_sender import TaskSender

PROBE = "kazoo.call.sender_probe"


def test_given_a_task_sender_when_it_sends_twice_then_a_worker_runs_both_with_their_args_and_own_ids(  # noqa: E501
    settings,
):
    app = make_app(settings)
    app.conf.include = []
    seen: list[tuple[str, tuple]] = []
    both = threading.Event()

    @app.task(name=PROBE, bind=True)
    def probe(self, *args):
        seen.append((self.request.id, args))
        if len(seen) == 2:
            both.set()

    sender = TaskSender(app, PROBE, celery_queue_name(settings.namespace, "callflow"))
    # (Celery's test worker sometimes needs ~10 s to stop after so short a life.)
    with start_worker(
        app,
        pool="threads",
        concurrency=2,
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=30,
    ):
        with app.producer_or_acquire() as producer:
            first = sender.send(producer, "call-1", {"n": 1})
            second = sender.send(producer, "call-2", {"n": 2})
        assert both.wait(10)

    assert sorted(seen) == sorted([(first, ("call-1", {"n": 1})), (second, ("call-2", {"n": 2}))])
    assert first != second
