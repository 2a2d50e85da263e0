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


def test_given_its_queue_deleted_while_the_connection_was_down_when_it_sends_again_then_the_queue_is_declared_again_and_holds_the_task(  # noqa: E501
    settings,
):
    """The sender skips the declaration once kombu declared the queue on the connection;
    a reconnect forgets that, so a queue lost meanwhile (a broker that lost its data) is
    declared again by the first send, not published into the void."""
    app = make_app(settings)
    app.conf.include = []
    queue = celery_queue_name(settings.namespace, "callflow")
    sender = TaskSender(app, PROBE, queue)
    with app.connection_for_write() as connection:
        producer = connection.Producer()
        sender.send(producer, "call-1")
        sender.send(producer, "call-2")  # declared already: no declaration
        assert connection.declared_entities, "kombu remembers the declared queue"
        with app.connection_for_write() as admin:
            admin.default_channel.queue_delete(queue)
        connection.close()  # a lost connection: kombu forgets what it declared
        producer = connection.Producer()
        sender.send(producer, "call-3")
        with app.connection_for_write() as admin:
            _, waiting, _ = admin.default_channel.queue_declare(queue, passive=True)
            admin.default_channel.queue_delete(queue)
    assert waiting == 1, "the queue came back with the task sent after the reconnect"
