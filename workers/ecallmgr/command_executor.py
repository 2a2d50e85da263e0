"""Executing one call command: validate, dedupe, write one ESL frame, read its reply.

A command that cannot be executed never leaves the waiting callflow node hanging: if it
is invalid, if FreeSWITCH answers ``-ERR``, or if the connection goes (or times out)
after the frame was written, a synthetic ``COMMAND_ERROR`` event (``application_uuid`` =
the command id, ``application_response`` = the error) is stored in the call's inbox
before the message is acknowledged.

Deduplication: a command may be published twice (a worker died between publishing and
committing). Before writing, the command id is claimed in Redis (:mod:`.claims`), so any
ecallmgr (the active one or a standby that took over) writes it at most once; once
FreeSWITCH has answered, the claim becomes ``done``. A second copy finding ``done`` is
acknowledged silently. An ``execute`` goes out in the same write as the written mark
(:mod:`.written_mark`), so the ecallmgr that takes a node over settles the claim its dead
predecessor left (done, or dropped and written when its copy comes back) before it
consumes commands. A copy still finding a claim that never completed (an older owner, a
switch restarted since) means an ecallmgr died between claiming and reading the reply:
whether the switch ran it is unknown, so it is not written again and a ``COMMAND_ERROR``
tells the node — except a hangup (:data:`WRITTEN_AGAIN`), harmless twice and fatal to
skip. The claim is dropped again only when nothing was written. Once a frame is written,
Redis failures are retried (never a requeue, which would write it again).

An ``execute`` command is also entered in the call's running commands (:mod:`.running`)
with its claim, before it is written, and removed again when the write fails or the
switch refuses it; its completion removes it otherwise.

A call becomes controlled when a command for it arrives (that covers a restart; not an
``originate``, whose channel is taken into control when it parks), unless
its hangup was seen a moment ago (a command racing the caller's hangup must not put a
call the switch no longer has back into the set); a ``-ERR invalid session id`` removes it.
"""

from __future__ import annotations

import enum
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import gevent
import redis
from greenswitch.esl import NotConnectedError
from marshmallow import ValidationError

from kazoo_tasks import logs
from kazoo_tasks.commands import CALL_ID_PATTERN, render_command, sanitize_text, validate_command
from kazoo_tasks.config import Settings
from kazoo_tasks.events import COMMAND_ERROR, synthetic_event
from kazoo_tasks.metrics import CALL_SETUP
from kazoo_tasks.services import REDIS_ERRORS
from kazoo_tasks.stages import stamp
from workers.ecallmgr.backoff import Backoff
from workers.ecallmgr.claims import DONE, CommandClaims
from workers.ecallmgr.connection import CommandTimeout, ConnectionLost, EslConnection
from workers.ecallmgr.controlled import ControlledCalls
from workers.ecallmgr.intake import EventIntake
from workers.ecallmgr.running import RunningCommands, running_entry
from workers.ecallmgr.stats import NodeStats
from workers.ecallmgr.written_mark import mark_frame

log = logging.getLogger(__name__)

_CALL_ID = re.compile(CALL_ID_PATTERN)

NO_SESSION = "-ERR invalid session id"
WRITTEN_AGAIN = frozenset({"hangup"})
"""Command kinds written again when the ecallmgr that claimed them died before the
switch answered: running them twice is harmless, and never running them (a hangup) would
leave the call up. Any other command of unknown outcome gets a ``COMMAND_ERROR``."""
"""FreeSWITCH's answer to a ``sendmsg`` for a channel it does not have."""

CHANNEL_GONE = (NO_SESSION, "-ERR No such channel")
"""Answers that say the channel is gone: the caller hung up while the command was on
its way, which is normal life (logged at INFO)."""


class Outcome(enum.Enum):
    """What to do with the queue message once :meth:`CommandExecutor.execute` returns."""

    ACK = "ack"
    REQUEUE = "requeue"


class CommandExecutor:
    """Runs commands from a node's queue against its current ESL connection."""

    def __init__(
        self,
        settings: Settings,
        node: str,
        owner: str,
        client: redis.Redis,
        intake: EventIntake,
        controlled: ControlledCalls,
        running: RunningCommands,
        stats: NodeStats,
        still_leased: Callable[[], bool],
    ):
        self.settings, self.node, self.owner = settings, node, owner
        self.intake, self.controlled, self.stats = intake, controlled, stats
        self.running = running
        self.claims = CommandClaims(client, settings)
        self.still_leased = still_leased
        """Whether this process still holds the node's lease, by its own clock (checked
        right before each write: see :meth:`_lease_lapsed`)."""

    def execute(self, conn: EslConnection, body: Any) -> Outcome:
        """Execute one command message body on ``conn``."""
        self.stats.incr("commands.received")
        try:
            command = validate_command(body) if isinstance(body, dict) else None
        except ValidationError as exc:
            return self._refuse(body, f"invalid command: {exc.messages}")
        if command is None:
            return self._refuse(body, f"a command is a JSON object, not {type(body).__name__}")
        if command["node"] != self.node:
            return self._refuse(body, f"command for node {command['node']!r} reached {self.node}")
        with logs.bound(call_id=command["call_id"], node=self.node):
            return self._execute(conn, command)

    def _execute(self, conn: EslConnection, command: dict[str, Any]) -> Outcome:
        call_id, command_id = command["call_id"], command["id"]
        # an originate's channel does not exist yet: it becomes controlled when it parks
        # (its answer before that is no event of a call we run)
        if command["kind"] != "originate" and self.controlled.add(call_id):
            self.controlled.persist(added=[call_id])
        entry = ""
        if command["kind"] == "execute":
            entry = running_entry(command_id, command["app"], command["args"])
        claim = self.claims.claim(call_id, command_id, self.owner, entry)
        if claim is not None and (claim == DONE or command["kind"] not in WRITTEN_AGAIN):
            return self._duplicate(command, claim)
        if claim is not None:
            self.stats.incr("commands.written_again")
            log.info(
                "command %s of call %s: ecallmgr %s stopped before the switch answered;"
                " a %s is harmless twice: written again",
                command_id, call_id, claim, command["kind"],
            )  # fmt: skip
        if entry:
            self.running.add(call_id, entry)
        stamp("writing", call_id)
        written_at = time.time()
        frames = [render_command(command)]
        if entry:  # an execute: the switch notes it right behind it (.written_mark)
            frames.append(mark_frame(self.settings.namespace, self.owner, call_id, command_id))
        if not self.still_leased():
            return self._lease_lapsed(call_id, command_id, entry)
        try:
            reply, *marked = conn.send_frames(frames)
        except NotConnectedError:
            self._unwritten(call_id, command_id, entry, "commands.requeued")
            return Outcome.REQUEUE
        except (ConnectionLost, CommandTimeout) as exc:
            self._not_running(call_id, entry)
            self._complete(call_id, command_id, entry)
            self.stats.incr(
                "commands.timed_out" if isinstance(exc, CommandTimeout) else "commands.lost"
            )
            return self._fail(command, f"no reply from FreeSWITCH: {exc}")
        parked_at = self.intake.parked_at.pop(call_id, None)
        if reply.reply_text.startswith("-ERR"):
            self._not_running(call_id, entry)
            self._complete(call_id, command_id, entry)
            self.stats.incr("commands.failed")
            if reply.reply_text.startswith(NO_SESSION):
                self.controlled.discard(call_id)
                self._persist_removal(call_id)
            routine = reply.reply_text.startswith(CHANNEL_GONE)
            return self._fail(command, reply.reply_text.strip(), routine=routine)
        self._complete(call_id, command_id)
        self.stats.incr("commands.sent")
        if marked and not marked[0].body.startswith(b"+OK"):
            self.stats.incr("commands.mark_refused")
            log.warning("the switch refused the written mark: %.200r", marked[0].body)
        log.debug("command %s (%s) written", command_id, command.get("app") or command["kind"])
        if parked_at is not None:
            CALL_SETUP.labels(self.node).observe(max(written_at - parked_at, 0.0))
        return Outcome.ACK

    def _complete(self, call_id: str, command_id: str, failed_running: str = "") -> None:
        """Mark the written command's claim ``done``, retrying while Redis is away: once a
        frame is written the message must never be requeued (it would be written again)."""
        self._until_done(
            "mark a written command done",
            lambda: self.claims.complete(call_id, command_id, failed_running),
        )

    def _persist_removal(self, call_id: str) -> None:
        self._until_done(
            "update the controlled calls", lambda: self.controlled.persist(removed=[call_id])
        )

    def _until_done(self, what: str, step: Callable[[], None]) -> None:
        backoff = Backoff(base=0.1, cap=5.0)
        while True:
            try:
                step()
                return
            except REDIS_ERRORS as exc:
                delay = backoff.next_delay()
                self.stats.incr("commands.redis_retries")
                log.warning("cannot %s (%s); retrying in %.1f s", what, exc, delay)
                gevent.sleep(delay)

    def _lease_lapsed(self, call_id: str, command_id: str, entry: str) -> Outcome:
        """This process was frozen (SIGSTOP, a stalled VM) past its lease after claiming
        the command: a standby may have taken the node over since, settled the claim as
        never written and written the command itself, so it is not written here. The claim
        is dropped only while it is still ours, and the message goes back to the queue for
        whoever holds the node now (the supervisor steps down)."""
        released = self._unwritten(call_id, command_id, entry, "commands.lease_lapsed")
        log.warning(
            "command %s of call %s not written: the lease on %s lapsed before the write "
            "(claim %s)", command_id, call_id, self.node,
            "released" if released else "taken over by the node's new owner",
        )  # fmt: skip
        return Outcome.REQUEUE

    def _unwritten(self, call_id: str, command_id: str, entry: str, counter: str) -> bool:
        """Undo a claim whose command was not written (its message goes back to the
        queue): forget the running entry, drop the claim while it is still ours, count
        it. True when the claim was dropped (it was still ours)."""
        self._not_running(call_id, entry)
        released = self.claims.release(call_id, command_id, self.owner, entry)
        self.stats.incr(counter)
        return released

    def _not_running(self, call_id: str, entry: str) -> None:
        if entry:
            self.running.remove(call_id, entry)

    def _duplicate(self, command: dict[str, Any], claim: str) -> Outcome:
        self.stats.incr("commands.duplicate")
        if claim == DONE:
            log.info(
                "command %s of call %s already written: skipped", command["id"], command["call_id"]
            )
            return Outcome.ACK
        return self._fail(
            command,
            f"outcome unknown: ecallmgr {claim} stopped while FreeSWITCH was running it",
        )

    def _refuse(self, body: Any, error: str) -> Outcome:
        self.stats.incr("commands.invalid")
        log.error("node %s: refused command %.500r: %s", self.node, body, error)
        if isinstance(body, dict):
            call_id, command_id = body.get("call_id"), body.get("id")
            if isinstance(call_id, str) and _CALL_ID.match(call_id):
                app, kind = body.get("app"), body.get("kind")
                return self._fail(
                    {
                        "call_id": call_id,
                        "id": sanitize_text(command_id) if isinstance(command_id, str) else "",
                        "app": sanitize_text(app) if isinstance(app, str) else "",
                        "kind": sanitize_text(kind) if isinstance(kind, str) else "",
                    },
                    error,
                )
        return Outcome.ACK

    def _fail(self, command: dict[str, Any], error: str, routine: bool = False) -> Outcome:
        """Store a COMMAND_ERROR for ``command`` in its call's inbox, then ack. A
        ``routine`` failure (the caller hung up while the command was on its way) is
        logged at INFO: it is part of normal life, not a fault."""
        log.log(
            logging.INFO if routine else logging.WARNING,
            "node %s: command %s (%s) of call %s failed: %s",
            self.node,
            command["id"],
            command.get("app") or command.get("kind"),
            command["call_id"],
            error,
        )
        event = synthetic_event(
            COMMAND_ERROR,
            command["call_id"],
            self.node,
            "command failed",
            time.time(),
            application_uuid=command["id"],
            application_name=command.get("app") or command.get("kind") or "",
            application_response=sanitize_text(error),
        )
        self.intake.submit(event).get()
        return Outcome.ACK
