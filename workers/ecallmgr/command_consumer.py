"""The kombu consumer of a node's command queue, alive only while its ESL connection is.

Messages are handled one at a time, in queue order (so each call's commands reach the
switch in the order they were published), and acknowledged only after FreeSWITCH
answered (or after a ``COMMAND_ERROR`` was stored). The supervisor starts one consumer
per ESL connection and stops it when the connection goes: unacknowledged messages
return to the queue and wait there for the next connection.

The broker connection negotiates ``KAZOO_BROKER_HEARTBEAT``; the consumer checks it while
no message comes (:mod:`.broker_liveness`). A connection lost or silent (a frozen node) is
dropped without the closing handshake and opened again with back-off (kombu's failover:
the next node of a cluster); the broker requeues what was not acknowledged, and a copy of
a command already written is skipped by its claim (:mod:`.claims`).
"""

from __future__ import annotations

import logging
from typing import Any

import gevent
from kombu import Connection, Consumer, Message, Queue
from kombu.exceptions import KombuError

from kazoo_tasks.services import REDIS_ERRORS
from kazoo_tasks.stages import stamp
from workers.ecallmgr.backoff import Backoff
from workers.ecallmgr.broker_liveness import RATE, close, drop
from workers.ecallmgr.command_executor import CommandExecutor, Outcome
from workers.ecallmgr.connection import EslConnection
from workers.ecallmgr.publisher import Stopped

log = logging.getLogger(__name__)

PREFETCH = 16
"""Messages the broker may send ahead; they are requeued if the ESL connection goes."""

REQUEUE_PAUSE = 0.5
"""Seconds to wait after requeueing, so a failing dependency is not hammered."""


class CommandConsumer:
    """Feeds the messages of ``queue`` to ``executor`` on ``esl``."""

    def __init__(
        self, connection: Connection, queue: Queue, executor: CommandExecutor, esl: EslConnection
    ):
        self.connection = connection
        self.queue = queue
        self.executor = executor
        self.esl = esl
        self.should_stop = False

    def run(self, drain_interval: float) -> None:
        """Consume until :meth:`stop` (noticed within ``drain_interval`` seconds), opening
        the connection again whenever it is lost."""
        connection = self.connection
        errors = (*connection.connection_errors, *connection.channel_errors, KombuError, OSError)
        backoff = Backoff(base=0.1, cap=5.0)
        while not self.should_stop:
            try:
                self._consume(drain_interval, backoff)
            except errors as exc:
                self.executor.stats.incr("commands.broker_dropped")
                drop(connection)
                delay = backoff.next_delay()
                log.warning(
                    "command consumer: broker connection lost (%s); again in %.1f s", exc, delay
                )
                gevent.sleep(delay)
        close(connection)

    def _consume(self, drain_interval: float, backoff: Backoff) -> None:
        connection = self.connection
        connection.ensure_connection(max_retries=1)
        consumer = Consumer(
            connection.default_channel,
            queues=[self.queue],
            callbacks=[self.on_command],
            accept=["json"],
            prefetch_count=PREFETCH,
            on_decode_error=self.on_decode_error,
        )
        consumer.consume()
        backoff.reset()
        while not self.should_stop:
            try:
                connection.drain_events(timeout=drain_interval)
            except TimeoutError:
                connection.heartbeat_check(rate=RATE)
        consumer.cancel()

    def on_decode_error(self, message: Message, exc: Exception) -> None:
        log.error("command message that is not JSON dropped (%s): %.500r", exc, message.body)
        self.executor.stats.incr("commands.invalid")
        message.ack()

    def on_command(self, body: Any, message: Message) -> None:
        """Execute one command; ack, or requeue when it could not be written."""
        if isinstance(body, dict):
            stamp("consumed", str(body.get("call_id")))
        try:
            outcome = self.executor.execute(self.esl, body)
        except (*REDIS_ERRORS, Stopped) as exc:
            log.warning("command requeued: %s", exc)
            outcome = Outcome.REQUEUE
        except Exception:
            log.exception("command requeued after an unexpected error: %.500r", body)
            outcome = Outcome.REQUEUE
        if outcome is Outcome.ACK:
            message.ack()
        else:
            message.requeue()
            gevent.sleep(REQUEUE_PAUSE)

    def stop(self) -> None:
        """Ask :meth:`run` to return (it notices within one drain interval)."""
        self.should_stop = True
