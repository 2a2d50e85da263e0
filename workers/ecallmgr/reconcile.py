"""ESL gap re-sync: after a (re)connection or a takeover, catch up with what the switch did.

FreeSWITCH does not replay the events it fired while no listener was connected. A gap
(ecallmgr restarted, a standby taking over, the switch refusing connections for a while)
leaves three kinds of calls behind, and ``api show channels as json`` (one round trip per
node) finds them all:

* **a controlled call that ended in the gap** (it is not listed): it gets a synthetic
  ``CHANNEL_HANGUP_COMPLETE`` (``hangup_cause`` :data:`VANISHED_CAUSE`), so its state
  closes and its CDR is written now, not at the reaper;
* **a controlled call still up whose awaited completion fell in the gap**: every call
  that has ``execute`` commands written and not seen complete (:mod:`.running`) gets a
  probe, a ``sendmsg execute set`` queued behind them on the channel. FreeSWITCH runs a
  channel's messages in order, so the probe completes after a command still running
  (whose real completion then arrives first), or at once when the commands finished in
  the gap: its completion proves them done and the publisher hands the waiting node a
  recovered completion for each, carrying the channel's data at that moment;
* **a controlled call still up whose last events were stored but never announced** (the
  previous ecallmgr died between storing them in the call's inbox and sending the task
  that has a worker drain it): every controlled call still listed gets that task again;
  a worker finding nothing new in the inbox does nothing;
* **the one command the previous ecallmgr had claimed when it died** (it never saw the
  switch's reply): the written mark the switch keeps says whether it got there
  (:mod:`.written_mark`), before the probes are written: if it did, its claim is done;
  if not, its claim and running entry go, and it is written when its copy comes back
  from the queue;
* **a call that parked in the gap** and that nobody controls (listed with ``park`` as its
  application): it is taken into control and routed as if its ``CHANNEL_PARK`` had just
  arrived, from a ``CHANNEL_PARK`` rebuilt out of ``api uuid_dump <uuid> json``.

The listing is not a snapshot of the event stream: FreeSWITCH fills it from its core
database a moment after the events, and writes an ``api`` reply before the events it
queued meanwhile. So one listing alone decides nothing irreversible:

* only calls controlled **before** the connection (the gap's calls) can have ended in the
  gap; a call that parked on this connection reports its own hangup;
* a call is ended only when two listings :data:`CONFIRM_DELAYS` apart both miss it (and
  its own hangup did not arrive meanwhile), and a parked call is taken over only when two
  listings show it parked and nobody has taken it into control meanwhile.

The first listing and the probes happen before commands are consumed; the confirming
listings follow in the background. The probes and dumps of one pass are written back to
back (their replies are paired in wire order): the re-sync costs a few round trips per
node, whatever the number of calls.

Every event re-sync makes carries :data:`~kazoo_tasks.events.SYNTHETIC_HEADER` with the
reason and the length of the gap, so the call trace shows both.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import gevent
import redis
from greenswitch.esl import NotConnectedError

from kazoo_tasks.commands import CALL_ID_PATTERN, render_command
from kazoo_tasks.esl.frames import Frame, PlainEvent
from kazoo_tasks.events import (
    STATE_CHECK,
    SYNTHETIC_HEADER,
    CallEvent,
    call_event_from_plain,
    synthetic_event,
)
from workers.ecallmgr.claims import CommandClaims
from workers.ecallmgr.connection import EslConnection, EslError
from workers.ecallmgr.controlled import ControlledCalls
from workers.ecallmgr.intake import HANGUP_COMPLETE, PARK, EventIntake
from workers.ecallmgr.running import PROBE_PREFIX, RunningCommands, running_entry, running_key
from workers.ecallmgr.stats import NodeStats
from workers.ecallmgr.written_mark import read_mark, settle

log = logging.getLogger(__name__)

VANISHED_CAUSE = "NETWORK_OUT_OF_ORDER"
"""Hangup cause given to a controlled call the switch no longer has (its own is lost)."""

CONFIRM_DELAYS = (1.0, 2.0)
"""Seconds after the first listing at which the confirming listings are taken."""

PARKED_APPLICATION = "park"
ENDED_STATES = frozenset({"CS_HANGUP", "CS_REPORTING", "CS_DESTROY"})
_CALL_ID = re.compile(CALL_ID_PATTERN)


@dataclass
class ResyncReport:
    """What a re-sync found and did."""

    listed: int = 0
    vanished: list[str] = field(default_factory=list)
    probed: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Gap:
    """The time without a listener that a re-sync closes (``since`` None: unknown)."""

    since: float | None
    until: float

    def describe(self) -> str:
        """``ESL gap of 5.2 s`` (or ``ESL gap of unknown length``)."""
        if self.since is None:
            return "ESL gap of unknown length"
        return f"ESL gap of {max(0.0, self.until - self.since):.1f} s"


class Resync:
    """Re-syncs one node's calls over a fresh connection (see the module docstring)."""

    def __init__(
        self,
        node: str,
        namespace: str,
        client: redis.Redis,
        controlled: ControlledCalls,
        running: RunningCommands,
        intake: EventIntake,
        stats: NodeStats,
        claims: CommandClaims,
    ):
        self.node, self.namespace, self.client = node, namespace, client
        self.controlled, self.running = controlled, running
        self.intake, self.stats, self.claims = intake, stats, claims

    def begin(
        self, conn: EslConnection, gap: Gap, before: set[str]
    ) -> tuple[dict[str, dict[str, Any]], ResyncReport]:
        """The first pass, before commands flow: list the channels and probe the calls of
        ``before`` (the calls controlled when the connection opened) that are listed and
        have commands pending. Returns the listing (for :meth:`confirm`) and the report."""
        report = ResyncReport()
        for call_id in sorted(before):
            if not _CALL_ID.match(call_id):
                log.error("dropping a malformed controlled call id %.100r", call_id)
                before.discard(call_id)
                self.controlled.discard(call_id)
                self.controlled.persist(removed=[call_id])
        live = self._live_channels(conn)
        report.listed = len(live)
        # before anything is written: what the previous ecallmgr wrote last (.written_mark)
        settled = settle(read_mark(conn, self.namespace), sorted(before), self.claims, self.running)
        self.stats.incr("resync.reached", len(settled.reached))
        self.stats.incr("resync.unwritten", len(settled.unwritten))
        self._probe(conn, live, before, gap, report)
        for call_id in sorted(before & live.keys()):
            self.intake.wake(call_id)
        self.stats.incr("reconcile.checked", len(before))
        self._log(gap, report)
        return live, report

    def confirm(
        self,
        conn: EslConnection,
        gap: Gap,
        before: set[str],
        first: dict[str, dict[str, Any]],
        delays: tuple[float, ...] = CONFIRM_DELAYS,
    ) -> ResyncReport:
        """The confirming passes (run in a greenlet): at each of ``delays`` (seconds after
        the first listing) list again; end the calls of ``before`` that two listings in
        a row miss, take over the calls that two listings in a row show parked."""
        report = ResyncReport()
        previous, started = first, time.monotonic()
        for delay in delays:
            gevent.sleep(max(0.0, started + delay - time.monotonic()))
            live = self._live_channels(conn)
            report.listed = len(live)
            self._end_vanished(before, previous, live, gap, report)
            self._adopt_parked(conn, previous, live, gap, report)
            previous = live
        self.stats.incr("reconcile.vanished", len(report.vanished))
        self.stats.incr("resync.adopted", len(report.adopted))
        self._log(gap, report)
        return report

    def _log(self, gap: Gap, report: ResyncReport) -> None:
        if report.vanished or report.probed or report.adopted:
            log.warning(
                "node %s: re-sync after an %s: %d channels on the switch, %d controlled calls "
                "ended meanwhile, %d probed for lost completions, %d parked calls taken over",
                self.node,
                gap.describe(),
                report.listed,
                len(report.vanished),
                len(report.probed),
                len(report.adopted),
            )

    # -- the listing ---------------------------------------------------------------------

    def _live_channels(self, conn: EslConnection) -> dict[str, dict[str, Any]]:
        reply = conn.send("api show channels as json")
        text = reply.body.decode("utf-8", "replace").strip()
        try:
            listing = json.loads(text)
        except json.JSONDecodeError as exc:
            raise EslError(f"cannot read the channel list ({exc}): {text[:200]!r}") from exc
        if not isinstance(listing, dict):
            raise EslError(f"unexpected channel list: {text[:200]!r}")
        rows = listing.get("rows") or []
        return {row["uuid"]: row for row in rows if isinstance(row, dict) and row.get("uuid")}

    # -- calls that ended in the gap -----------------------------------------------------

    def _end_vanished(
        self,
        before: set[str],
        previous: dict[str, dict[str, Any]],
        live: dict[str, dict[str, Any]],
        gap: Gap,
        report: ResyncReport,
    ) -> None:
        for call_id in sorted(before):
            if call_id in self.controlled and call_id not in previous and call_id not in live:
                self._vanished(call_id, f"channel gone after an {gap.describe()}")
                report.vanished.append(call_id)

    def _vanished(self, call_id: str, reason: str) -> None:
        self.controlled.discard(call_id)
        self.controlled.persist(removed=[call_id])
        self.intake.submit(
            synthetic_event(
                HANGUP_COMPLETE,
                call_id,
                self.node,
                reason,
                time.time(),
                hangup_cause=VANISHED_CAUSE,
            )
        )

    # -- calls whose completion may have fallen in the gap ----------------------------

    def _probe(
        self,
        conn: EslConnection,
        live: dict[str, dict[str, Any]],
        before: set[str],
        gap: Gap,
        report: ResyncReport,
    ) -> None:
        calls = [c for c in self.running.calls() if c in live and c in before]
        if not calls:
            return
        probes = {call_id: self._probe_command(call_id, gap) for call_id in calls}
        pipe = self.client.pipeline(transaction=False)
        for call_id, command in probes.items():
            entry = running_entry(command["id"], command["app"], command["args"])
            self.running.add(call_id, entry)
            pipe.rpush(running_key(self.namespace, call_id), entry)
        pipe.execute()
        replies = _send_all(conn, [render_command(p) for p in probes.values()])
        for (call_id, command), reply in zip(probes.items(), replies, strict=True):
            if reply is not None and reply.reply_text.startswith("+OK"):
                report.probed.append(call_id)
                continue
            entry = running_entry(command["id"], command["app"], command["args"])
            self.running.remove(call_id, entry)
            self.client.lrem(running_key(self.namespace, call_id), 1, entry)

    def _probe_command(self, call_id: str, gap: Gap) -> dict[str, Any]:
        return {
            "id": f"{PROBE_PREFIX}{uuid.uuid4().hex}",
            "call_id": call_id,
            "node": self.node,
            "kind": "execute",
            "app": "set",
            "args": f"kazoo_resync={int(gap.until)}",
            "event_lock": True,
        }

    # -- calls that parked in the gap ----------------------------------------------------

    def _adopt_parked(
        self,
        conn: EslConnection,
        previous: dict[str, dict[str, Any]],
        live: dict[str, dict[str, Any]],
        gap: Gap,
        report: ResyncReport,
    ) -> None:
        candidates = [
            call_id
            for call_id, row in live.items()
            if row.get("application") == PARKED_APPLICATION
            and (previous.get(call_id) or {}).get("application") == PARKED_APPLICATION
            and call_id not in self.controlled
            and not self.controlled.ended_recently(call_id)
            and _CALL_ID.match(call_id)
        ]
        if not candidates:
            return
        for call_id in candidates:  # from now on the reader keeps their events
            self.controlled.add(call_id)
        frames = [f"api uuid_dump {call_id} json\n\n".encode() for call_id in candidates]
        for call_id, reply in zip(candidates, _send_all(conn, frames), strict=True):
            park = self._park_from_dump(call_id, reply, gap)
            if park is None:
                self.controlled.discard(call_id)
                continue
            self.intake.submit(park)
            report.adopted.append(call_id)

    def check_states(self, conn: EslConnection) -> int:
        """Redis lost its data: every controlled call gets a ``STATE_CHECK`` event carrying
        its channel's data (``uuid_dump``), for the engine to see whether it still runs the
        call (it ignores the check then), to route it (parked, never answered: its park was
        lost) or to end it (its state is gone). A call the switch no longer has is ended.
        Returns how many checks were sent."""
        calls = sorted(self.controlled)
        frames = [f"api uuid_dump {call_id} json\n\n".encode() for call_id in calls]
        reason = "Redis lost its data; the engine checks that it still runs the call"
        sent = 0
        for call_id, reply in zip(calls, _send_all(conn, frames), strict=True):
            if reply is None:  # the connection went: the next re-sync sees to the call
                continue
            event = self._event_from_dump(call_id, reply, STATE_CHECK, reason)
            if event is None:
                self._vanished(call_id, "channel gone when Redis lost its data")
                continue
            self.intake.submit(event)
            sent += 1
        self.stats.incr("resync.state_checks", sent)
        log.warning("node %s: %s: %d calls checked", self.node, reason, sent)
        return sent

    def _park_from_dump(self, call_id: str, reply: Frame | None, gap: Gap) -> CallEvent | None:
        reason = f"parked during an {gap.describe()}; routed at re-sync"
        return self._event_from_dump(call_id, reply, PARK, reason)

    def _event_from_dump(
        self, call_id: str, reply: Frame | None, name: str, reason: str
    ) -> CallEvent | None:
        """Event ``name`` of ``call_id`` made of its ``uuid_dump ... json`` reply (None
        when the channel is gone or hanging up)."""
        if reply is None:
            return None
        text = reply.body.decode("utf-8", "replace")
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            log.info("call %s is gone before it could be taken over: %s", call_id, text[:100])
            return None
        if not isinstance(data, dict) or data.get("Channel-State") in ENDED_STATES:
            return None
        headers = {header: _header_value(value) for header, value in data.items()}
        headers.update({"Event-Name": name, "Unique-ID": call_id, SYNTHETIC_HEADER: reason})
        headers.pop("Event-Sequence", None)
        event = call_event_from_plain(PlainEvent(list(headers.items())), self.node, time.time())
        event["sequence"] = 0
        return event


def _header_value(value: Any) -> str:
    """A ``uuid_dump ... json`` value as the plain event header would carry it."""
    if isinstance(value, list):
        return "ARRAY::" + "|:".join(str(v) for v in value)
    return value if isinstance(value, str) else str(value)


def _send_all(conn: EslConnection, frames: list[bytes]) -> list[Frame | None]:
    """Write ``frames`` back to back and collect their replies (None where the frame
    could not be written or got no reply)."""

    def send(frame: bytes) -> Frame | None:
        try:
            return conn.send_frame(frame)
        except (EslError, NotConnectedError):
            return None

    greenlets = [gevent.spawn(send, frame) for frame in frames]
    gevent.joinall(greenlets)
    return [g.value for g in greenlets]
