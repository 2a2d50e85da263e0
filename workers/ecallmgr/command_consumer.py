"""The kombu consumer of a node's command queue, alive only while its ESL connection is.

Messages are handled one at a time, in queue order (so each call's commands reach the
switch in the order they were published), and acknowledged only after FreeSWITCH
answered (or after a ``COMMAND_ERROR`` was stored). The supervisor starts one consumer
per ESL connection and stops it when the connection goes: unacknowledged messages
return to the queue and wait there for the next connection.
"""

from __future__ import annotations

import logging
from typing import Any

import gevent
from kombu import Connection, Consumer, Message, Queue
from kombu.mixins import ConsumerMixin

from kazoo_tasks.services import REDIS_ERRORS
from kazoo_tasks.stages import stamp
from workers.ecallmgr.command_executor import CommandExecutor, Outcome
from workers.ecallmgr.connection import EslConnection
from workers.ecallmgr.publisher import Stopped

log = logging.getLogger(__name__)

PREFETCH = 16
"""Messages the broker may send ahead; they are requeued if the ESL connection goes."""

REQUEUE_PAUSE = 0.5
"""Seconds to wait after requeueing, so a failing dependency is not hammered."""


class CommandConsumer(ConsumerMixin):
    """Feeds the messages of ``queue`` to ``executor`` on ``esl``."""

    def __init__(
        self, connection: Connection, queue: Queue, executor: CommandExecutor, esl: EslConnection
    ):
        self.connection = connection
        self.queue = queue
        self.executor = executor
        self.esl = esl

    def get_consumers(self, consumer: type[Consumer], channel: Any) -> list[Consumer]:
        return [
            consumer(
                queues=[self.queue],
                callbacks=[self.on_command],
                accept=["json"],
                prefetch_count=PREFETCH,
            )
        ]

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
