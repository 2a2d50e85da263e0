"""The context object a callflow module works through.

A module never touches Redis, the broker or the switch directly: it reads the call
(:attr:`NodeContext.call`) and its node's ``data``, keeps what it must remember between
events in :attr:`NodeContext.state` (JSON data saved with the call), and sends commands
with :meth:`NodeContext.execute` / :meth:`NodeContext.hangup`, and waits for time with
:meth:`NodeContext.start_timer`. Commands and timers only leave after the step that
produced them is committed, so a module may be re-run from ``start`` or ``on_event``
after a worker died and nothing it sent twice reaches the switch twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Protocol

from callflow import media as media_refs
from callflow.documents import read_document
from callflow.endpoints import Registrations, registrations_from
from kazoo_tasks.cache import Cache
from kazoo_tasks.callstate import STATUS_ENDED, CallStore
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import account_db
from kazoo_tasks.docstore.base import Document, DocumentStore
from kazoo_tasks.events import CallEvent
from kazoo_tasks.timers import TIMER_FIRED

COMPLETION_EVENTS = frozenset({"CHANNEL_EXECUTE_COMPLETE", "COMMAND_ERROR"})
"""Events that close a command (FreeSWITCH finished it, or ecallmgr refused it)."""
TIMER_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}\Z")


@dataclass(frozen=True)
class Environment:
    """What the engine needs from the worker around it: settings, the document store,
    the clock (``now``, Unix seconds), the cache routing and modules read documents
    through (None reads the store every time), the Redis client live facts come from
    (registrations; None: :func:`kazoo_tasks.services.redis_client`) and the time as
    calls see it (``call_clock``; None: ``now``).

    ``now`` is the engine's own clock: timers, key expiry, the reaper's index and signed
    URLs are compared with it by Redis and by other processes, so it is always the real
    one. ``call_clock`` is what modules decide on (:meth:`NodeContext.now`): a worker
    given ``KAZOO_CALL_CLOCK`` runs every call "as if it were" that time
    (:func:`call_clock_from`)."""

    settings: Settings
    documents: Callable[[], DocumentStore]
    now: Callable[[], float]
    cache: Cache | None = None
    redis: Callable[[], Any] | None = None
    call_clock: Callable[[], float] | None = None

    def redis_client(self) -> Any:
        """The worker's Redis client (``redis``, else the process's own)."""
        client = self.redis() if self.redis else None
        if client is None:
            from kazoo_tasks import services

            client = services.redis_client(self.settings)
        return client


def call_clock_from(settings: Settings) -> Callable[[], float] | None:
    """The call clock ``settings.call_clock`` names (an ISO 8601 time with its UTC offset,
    frozen), or None when unset. Raises ``ValueError`` for a time without offset or that
    does not parse."""
    text = settings.call_clock
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"KAZOO_CALL_CLOCK={text!r}: give the UTC offset (e.g. -05:00 or Z)")
    frozen = moment.timestamp()
    return lambda: frozen


class CommandSink(Protocol):
    """Where a context's commands go (the navigator)."""

    def command(
        self, kind: str, app: str = "", args: str = "", *, event_lock: bool = True, cause: str = ""
    ) -> str: ...

    def arm_timer(self, seconds: float, name: str) -> str: ...

    def disarm_timer(self, ident: str) -> bool: ...

    def note(self, module: str, text: str) -> None: ...

    def task(self, name: str, args: list[Any]) -> None: ...


class NodeContext:
    """Everything a module may use while it runs one node of one call."""

    def __init__(
        self,
        record: dict[str, Any],
        node: Mapping[str, Any],
        data: dict[str, Any],
        path: str,
        sink: CommandSink,
        env: Environment,
    ) -> None:
        self._record = record
        self._node = node
        self._sink = sink
        self._env = env
        self.data = data
        """The node's ``data``, loaded through the module's ``data_schema``."""
        self.path = path
        """Where this node sits: ``<callflow-id>:<child keys joined by />``."""
        self.log = logging.LoggerAdapter(
            logging.getLogger(f"callflow.{node.get('module', '?')}"),
            {"call_id": record["call_id"], "node_path": path},
        )
        """A logger whose records carry the call id and node path."""

    # -- the call ----------------------------------------------------------------------

    @property
    def node(self) -> Mapping[str, Any]:
        """The node as the callflow document has it (``module``, raw ``data``,
        ``children``), read-only."""
        return MappingProxyType(dict(self._node))

    @property
    def call(self) -> Mapping[str, Any]:
        """The call record (read-only): call_id, account_id, caller_id_name, ccvs, ..."""
        return MappingProxyType(self._record)

    @property
    def state(self) -> dict[str, Any]:
        """This node's own state (JSON data), kept with the call between events."""
        return self._record["node_state"]

    def set_ccv(self, name: str, value: str) -> None:
        """Remember a custom channel variable on the call record."""
        self._record["ccvs"][name] = value

    def set_caller_id(self, name: str, number: str) -> None:
        """Change the call's caller id (what later nodes read and bridges present)."""
        self._record["caller_id_name"] = name
        self._record["caller_id_number"] = number

    def set_request(self, number: str) -> None:
        """Change the number the call asks for (``request_user``, and the user part of
        ``request``), as Kazoo's DISA does before routing what the caller dialed: the
        modules after it (``resources``...) dial that number."""
        realm = str(self._record.get("request") or "").partition("@")[2]
        self._record["request_user"] = number
        self._record["request"] = f"{number}@{realm}" if realm else number

    def kvs_erase(self, key: str) -> None:
        """Remove a key from the call's key/value store."""
        self._record["kvs"].pop(key, None)

    def kvs_store(self, key: str, value: Any) -> None:
        """Store a JSON value in the call's key/value store (Kazoo's ``kvs``)."""
        self._record["kvs"][key] = value

    def kvs_fetch(self, key: str, default: Any = None) -> Any:
        """A value from the call's key/value store."""
        return self._record["kvs"].get(key, default)

    def documents(self) -> DocumentStore:
        """The document store (for modules that read account documents)."""
        return self._env.documents()

    def document(self, doc_id: str) -> Document | None:
        """Document ``doc_id`` of the call's account, read through the worker's cache (an
        edit is seen at once); None when it is missing or soft-deleted. Shared: never
        change it."""
        db = account_db(str(self._record.get("account_id") or ""))
        return read_document(self.documents(), db, doc_id, self.cache)

    @property
    def settings(self) -> Settings:
        """The deployment's settings."""
        return self._env.settings

    @property
    def cache(self) -> Cache | None:
        """The worker's document cache (pass it to readers so edits are seen at once)."""
        return self._env.cache

    def now(self) -> float:
        """The time for this call (Unix seconds): use it, never ``time.time()``, so a
        test can run a call "as if it were" another time (``KAZOO_CALL_CLOCK``)."""
        clock = self._env.call_clock or self._env.now
        return clock()

    def media(self, reference: str) -> str:
        """What the switch plays for ``reference``, a media id of the call's account or a
        URL (Kazoo's "media ID or URL"); raises :class:`callflow.media.MediaNotFound`
        for an id that names no media with audio."""
        return media_refs.playable(
            self.settings,
            self.documents(),
            str(self._record.get("account_id") or ""),
            reference,
            cache=self.cache,
            now=self._env.now(),
        )

    def recording_target(
        self,
        doc_id: str,
        *,
        attachment: str = media_refs.AUDIO_ATTACHMENT,
        extension: str = "wav",
        max_seconds: int = 3600,
    ) -> str:
        """Where a ``record`` writes so that the recording (in the format of
        ``extension``: wav, mp3) becomes attachment ``attachment`` of document ``doc_id``
        of the call's account."""
        return media_refs.recording_target(
            self.settings,
            str(self._record["account_id"]),
            doc_id,
            attachment=attachment,
            extension=extension,
            max_seconds=max_seconds,
            now=self._env.now(),
        )

    def at_call_end(self, task: str, args: list[Any], variables: tuple[str, ...] = ()) -> None:
        """Have Celery task ``task`` run once the call has ended (hung up or reaped), with
        ``args`` then a dict: ``hungup_at``, ``answered_at`` (Unix seconds) and
        ``variables``, the values the channel's ``variables`` had at hangup. Asking twice
        for the same task and arguments asks once. The task may run more than once (make
        it idempotent)."""
        wanted = {"name": task, "args": list(args), "variables": list(variables)}
        pending = self._record.setdefault("at_end", [])
        if wanted not in pending:
            pending.append(wanted)

    def at_transfer(self, task: str, args: list[Any]) -> None:
        """Have Celery task ``task`` run with ``args`` if the switch transfers the call
        out of this node (a blind transfer: the node is left without running again), once
        that step is committed. Forgotten when the node is left any other way."""
        wanted = {"name": task, "args": list(args)}
        pending = self._record.setdefault("at_transfer", [])
        if wanted not in pending:
            pending.append(wanted)

    def send_task(self, task: str, args: list[Any]) -> None:
        """Have Celery task ``task`` run with ``args`` (JSON values) once this step is
        committed, off the call: nothing waits for it (an HTTP request, a notification).
        A step that is discarded sends nothing; a worker that dies between the publish and
        its bookkeeping makes it sent twice (make the task idempotent or harmless twice)."""
        self._sink.task(task, list(args))

    def call_is_up(self, call_id: str) -> bool:
        """Whether another call of this engine is still running (read-only: its record
        exists and has not ended)."""
        record = CallStore(self._redis(), self.settings).records([call_id]).get(call_id)
        return record is not None and record.get("status") != STATUS_ENDED

    def redis_client(self) -> Any:
        """The Redis client of the worker (``decode_responses=True``), for the services
        whose live state is in Redis (ACDc's queues and agents); a module must keep what
        it writes there idempotent, since a step may run again."""
        return self._redis()

    def _redis(self) -> Any:
        return self._env.redis_client()

    def registrations(self) -> Registrations:
        """Live SIP registrations, ``(realm, user) -> record``, for ringing devices."""
        return registrations_from(self._redis(), self.settings.namespace)

    def note(self, text: str) -> None:
        """Add a line about this node to the call's trace (which the CDR keeps)."""
        self._sink.note(str(self._node.get("module", "?")), text[:200])

    # -- the flow ----------------------------------------------------------------------

    def child_keys(self) -> list[str]:
        """Keys of this node's non-empty children."""
        return [k for k, v in (self._node.get("children") or {}).items() if v]

    def has_child(self, key: str) -> bool:
        """Whether this node has a non-empty child ``key``."""
        return key in self.child_keys()

    # -- commands ----------------------------------------------------------------------

    def execute(self, app: str, args: str = "", *, event_lock: bool = True) -> str:
        """Run dialplan application ``app`` on the channel; returns the command id, which
        comes back as ``application_uuid`` on its CHANNEL_EXECUTE_COMPLETE."""
        return self._sink.command("execute", app, args, event_lock=event_lock)

    def hangup(self, cause: str = "NORMAL_CLEARING") -> str:
        """Hang the channel up with ``cause``."""
        self._record["hangup_sent"] = True
        return self._sink.command("hangup", cause=cause)

    def api(self, app: str, args: str = "") -> str:
        """Send an allowed ``api`` command about this call (uuid_break...)."""
        return self._sink.command("api", app, args)

    def completed(self, event: CallEvent) -> str | None:
        """The command id ``event`` completes, if it is one this node sent."""
        if event["name"] not in COMPLETION_EVENTS:
            return None
        command_id = event.get("application_uuid")
        return command_id if command_id in self._record["node_commands"] else None

    # -- timers ------------------------------------------------------------------------

    def start_timer(self, seconds: float, name: str = "timeout") -> str:
        """Arm a timer that fires in ``seconds`` (0 to a day) unless this node is left
        first; returns its id. It arrives in :meth:`CallflowModule.on_event` as a
        ``TIMER_FIRED`` event (``timer_id``, ``timer_name`` = ``name``), once, through
        the call's inbox like any event; see :meth:`timer_fired`."""
        if not TIMER_NAME.match(name):
            raise ValueError(f"timer name {name!r}: 1-64 letters, digits, '_', '.', ':', '-'")
        return self._sink.arm_timer(float(seconds), name)

    def cancel_timer(self, timer_id: str) -> bool:
        """Disarm a timer of this node; False if it already fired or is not this node's.
        (Leaving the node disarms its timers without this.)"""
        return self._sink.disarm_timer(timer_id)

    def timer_fired(self, event: CallEvent) -> str | None:
        """The name of this node's timer that ``event`` fires, if it is a timer's event
        (the navigator passes a module only its own live timers)."""
        if event["name"] != TIMER_FIRED:
            return None
        return event.get("timer_name")

    def timers(self) -> dict[str, str]:
        """This node's armed timers: id to name."""
        return {k: v["name"] for k, v in (self._record.get("node_timers") or {}).items()}
