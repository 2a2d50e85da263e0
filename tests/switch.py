"""A stand-in for ecallmgr + FreeSWITCH at the bus level, for engine tests.

It parks calls by delivering CHANNEL_PARK through :func:`kazoo_tasks.inbox.deliver`
exactly as ecallmgr will, consumes the node's command queue with kombu, drops a command
whose id it has already executed (ecallmgr's dedupe), and answers each command with the
events FreeSWITCH sends for it. Everything it received is recorded, duplicates included,
so tests can assert on what reached the queue.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections import defaultdict
from typing import Any

import redis
from celery import Celery
from kombu import Connection, Consumer

from kazoo_tasks import inbox
from kazoo_tasks.bus import command_queue
from kazoo_tasks.config import Settings
from kazoo_tasks.events import CallEvent

RESPOND_CAUSES = {
    "486": "USER_BUSY",
    "404": "UNALLOCATED_NUMBER",
    "503": "NORMAL_TEMPORARY_FAILURE",
}


class SwitchStandIn:
    """ecallmgr + FreeSWITCH for one node, driven through the real broker and Redis."""

    def __init__(self, settings: Settings, app: Celery, broker_url: str, node: str = "fs1"):
        self.settings = settings
        self.app = app
        self.node = node
        self.broker_url = broker_url
        self.redis = redis.Redis.from_url(settings.redis_url, decode_responses=True)
        self.received: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.executed: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.ended: dict[str, str] = {}
        self.refuse_apps: set[str] = set()
        """Applications answered with COMMAND_ERROR (as ecallmgr does for a refused command)."""
        self.hold_apps: set[str] = set()
        """Applications that run "forever" (no CHANNEL_EXECUTE_COMPLETE until hangup)."""
        self.lost_events: set[str] = set()
        """Events the switch fires that never reach the pipeline (fallen in an ESL gap)."""
        self._answered: set[str] = set()
        self.duplicate_events = False
        """Deliver every event twice (appended twice, notified twice), like a replaying
        ecallmgr and a redelivered task."""
        self._seen: set[str] = set()
        self._sequence = itertools.count(1000)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._consume, name="switch", daemon=True)

    # -- life cycle --------------------------------------------------------------------

    def __enter__(self) -> SwitchStandIn:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("switch stand-in did not start consuming")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self.redis.close()

    def _consume(self) -> None:
        with Connection(self.broker_url) as conn:
            queue = command_queue(self.settings.namespace, self.node)
            with Consumer(conn, [queue], callbacks=[self._on_command], accept=["json"]):
                self._ready.set()
                while not self._stop.is_set():
                    try:
                        conn.drain_events(timeout=0.2)
                    except TimeoutError:
                        continue

    # -- calls -------------------------------------------------------------------------

    def event(self, call_id: str, name: str, **fields: Any) -> CallEvent:
        """A call event as ecallmgr would build it, with the next Event-Sequence."""
        at = time.time()
        event: dict[str, Any] = {
            "name": name,
            "call_id": call_id,
            "node": self.node,
            "timestamp": at,
            "sequence": next(self._sequence),
            "received_at": at,
            "headers": {"Event-Name": name, "Unique-ID": call_id},
        }
        if call_id in self._answered:  # as FreeSWITCH's channel data says on every event
            event["headers"]["Answer-State"] = "answered"
        event.update(fields)
        return event  # type: ignore[return-value]

    def deliver(self, event: CallEvent) -> None:
        """Append an event to its call's inbox and notify a worker (ecallmgr's job)."""
        if event["name"] in self.lost_events:
            return
        for _ in range(2 if self.duplicate_events else 1):
            inbox.deliver(self.redis, self.app, self.settings, event)

    def park(
        self,
        number: str,
        *,
        account_id: str | None = None,
        caller_name: str = "Alice Example",
        caller_number: str = "+14155550100",
        call_id: str | None = None,
    ) -> str:
        """Place a call to ``number`` (CHANNEL_PARK); returns its call id."""
        call_id = call_id or str(uuid.uuid4())
        headers = {
            "Event-Name": "CHANNEL_PARK",
            "Unique-ID": call_id,
            "Call-Direction": "inbound",
            "Answer-State": "ringing",
            "Caller-Caller-ID-Name": caller_name,
            "Caller-Caller-ID-Number": caller_number,
            "Caller-Destination-Number": number,
            "Caller-Channel-Created-Time": str(int(time.time() * 1e6)),
            "variable_sip_req_uri": f"{number}@127.0.0.1",
        }
        if account_id:
            headers["variable_ecallmgr_Account-ID"] = account_id
        self.deliver(self.event(call_id, "CHANNEL_PARK", headers=headers))
        return call_id

    def hang_up(self, call_id: str, cause: str = "NORMAL_CLEARING") -> None:
        """The caller hangs up."""
        with self._lock:
            if call_id in self.ended:
                return
            self.ended[call_id] = cause
        self.deliver(self.event(call_id, "CHANNEL_HANGUP_COMPLETE", hangup_cause=cause))

    def wait_ended(self, call_ids: list[str], timeout: float = 30.0) -> list[str]:
        """Wait until every call has ended on the switch; returns those that did not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                missing = [c for c in call_ids if c not in self.ended]
            if not missing:
                return []
            time.sleep(0.05)
        return missing

    def apps(self, call_id: str) -> list[str]:
        """What the switch executed for a call, as ``app args`` / ``hangup CAUSE`` lines."""
        with self._lock:
            commands = list(self.executed[call_id])
        return [
            f"hangup {c['hangup_cause']}"
            if c["kind"] == "hangup"
            else f"{c['app']} {c['args']}".strip()
            for c in commands
        ]

    # -- commands ----------------------------------------------------------------------

    def _on_command(self, body: dict[str, Any], message: Any) -> None:
        call_id = body["call_id"]
        with self._lock:
            self.received[call_id].append(body)
            duplicate = body["id"] in self._seen
            self._seen.add(body["id"])
            if not duplicate:
                self.executed[call_id].append(body)
            gone = call_id in self.ended
        if not duplicate and not gone:
            for event in self._events_for(body):
                self.deliver(event)
        message.ack()

    def _events_for(self, cmd: dict[str, Any]) -> list[CallEvent]:
        call_id = cmd["call_id"]
        if cmd["kind"] == "hangup":
            with self._lock:
                self.ended[call_id] = cmd["hangup_cause"]
            return [
                self.event(call_id, "CHANNEL_HANGUP_COMPLETE", hangup_cause=cmd["hangup_cause"])
            ]
        if cmd["kind"] != "execute":
            return []
        app = cmd["app"]
        done = {"application_name": app, "application_uuid": cmd["id"]}
        if app in self.refuse_apps:
            return [self.event(call_id, "COMMAND_ERROR", application_response="refused", **done)]
        if app in self.hold_apps:
            return []
        events = []
        if app == "answer":
            with self._lock:
                self._answered.add(call_id)
            events.append(self.event(call_id, "CHANNEL_ANSWER"))
        events.append(
            self.event(call_id, "CHANNEL_EXECUTE_COMPLETE", application_response="+OK", **done)
        )
        if app == "respond":
            code = cmd["args"].split()[0]
            cause = RESPOND_CAUSES.get(code, "NORMAL_CLEARING")
            with self._lock:
                self.ended[call_id] = cause
            events.append(self.event(call_id, "CHANNEL_HANGUP_COMPLETE", hangup_cause=cause))
        return events
