"""The applications each controlled call has queued on the switch and not seen complete.

FreeSWITCH runs a channel's ``sendmsg execute`` messages one after the other, in the order
it received them, and fires ``CHANNEL_EXECUTE_COMPLETE`` (``Application-UUID`` = our
command id) as each returns. So the completion of one command proves that every command
written before it on the same channel has completed too. That is the evidence ecallmgr
uses when a completion fell into an ESL gap (a listener outage, a takeover): it keeps,
per call, the ordered list of ``execute`` commands written and not yet seen complete;
when the completion of a later one arrives, the earlier ones are completed for the
waiting node first (:func:`recovered_completion`), in order. After a gap, re-sync
(:mod:`.reconcile`) writes a harmless probe (``set``) behind whatever is queued on each
call that still has commands pending: the probe's own completion then comes after the
real completion of a command still running, or alone when the commands finished while
nobody listened, and either way the waiting node learns the truth.

The lists live in memory (the publishers check them for every completion without I/O)
and in the Redis list ``<ns>:call:{<call-id>}:running`` (so a restarted or standby
process starts with them). Entries are written to Redis when the command is claimed,
before it is written to the switch, so its completion can never be processed before its
entry exists; they are removed by the commands' completions, by a failed write, and with
the call at its hangup.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import redis
from redis.client import Pipeline

from kazoo_tasks.events import SYNTHETIC_HEADER, CallEvent
from kazoo_tasks.keys import call_key

PROBE_PREFIX = "resync-"
"""Command ids of re-sync probes start with this (:mod:`.reconcile`)."""

RECOVERED_RESPONSE = "_none_"
"""``Application-Response`` of a recovered completion: what the switch answered is gone."""


def running_key(namespace: str, call_id: str) -> str:
    """The Redis list of a call's written, not yet completed ``execute`` commands."""
    return call_key(namespace, call_id, "running")


def running_entry(command_id: str, app: str, args: str) -> str:
    """The stored form of one written command (the same text for the same command, so
    ``LREM`` finds it)."""
    return json.dumps({"id": command_id, "app": app, "args": args}, separators=(",", ":"))


def entry_id(entry: str) -> str:
    """The command id of a stored entry."""
    return json.loads(entry)["id"]


class RunningCommands:
    """Per call, the stored entries of the commands queued on the switch, in write order."""

    def __init__(self, client: redis.Redis, namespace: str, ttl: int):
        self._client = client
        self._namespace = namespace
        self._ttl = ttl
        self._calls: dict[str, list[str]] = {}

    def pending(self, call_id: str) -> list[str]:
        """The entries of ``call_id`` still waiting for their completion."""
        return list(self._calls.get(call_id, ()))

    def calls(self) -> list[str]:
        """The calls with at least one pending entry."""
        return [call_id for call_id, entries in self._calls.items() if entries]

    def add(self, call_id: str, entry: str) -> None:
        """Remember (in memory) that ``entry`` is being written for ``call_id``."""
        self._calls.setdefault(call_id, []).append(entry)

    def remove(self, call_id: str, entry: str) -> None:
        """Forget one entry (in memory): its write failed or was never done."""
        entries = self._calls.get(call_id)
        if entries and entry in entries:
            entries.remove(entry)
            if not entries:
                del self._calls[call_id]

    def complete(self, call_id: str, command_id: str) -> list[str]:
        """``command_id`` completed: drop it and every entry written before it (in memory);
        returns the dropped entries, in write order, ``command_id``'s last (none when it
        is not a pending command of the call). Persist with :meth:`queue_persist`."""
        entries = self._calls.get(call_id)
        if not entries:
            return []
        ids = [entry_id(e) for e in entries]
        if command_id not in ids:
            return []
        done = ids.index(command_id) + 1
        finished, rest = entries[:done], entries[done:]
        if rest:
            self._calls[call_id] = rest
        else:
            del self._calls[call_id]
        return finished

    def forget(self, call_ids: Iterable[str]) -> None:
        """The calls hung up: drop their entries (in memory)."""
        for call_id in call_ids:
            self._calls.pop(call_id, None)

    def queue_persist(
        self, pipe: Pipeline, completed: Iterable[tuple[str, str]], ended: Iterable[str]
    ) -> None:
        """Mirror :meth:`complete` (``(call_id, entry)`` pairs) and :meth:`forget` to
        Redis, queued on ``pipe``."""
        for call_id, entry in completed:
            pipe.lrem(running_key(self._namespace, call_id), 1, entry)
        for call_id in ended:
            pipe.delete(running_key(self._namespace, call_id))

    def load(self, call_ids: Iterable[str]) -> None:
        """Take the stored lists of ``call_ids`` (a takeover); a list only memory holds is
        kept and stored again (Redis may have lost it)."""
        wanted = list(call_ids)
        pipe = self._client.pipeline(transaction=False)
        for call_id in wanted:
            pipe.lrange(running_key(self._namespace, call_id), 0, -1)
        replies = pipe.execute()
        for call_id, stored in zip(wanted, replies, strict=True):
            entries = [e.decode() if isinstance(e, bytes) else e for e in stored]
            if entries:
                self._calls[call_id] = list(dict.fromkeys(entries))
        self.store_all(only=[c for c, stored in zip(wanted, replies, strict=True) if not stored])

    def store_all(self, only: Iterable[str] | None = None) -> None:
        """Write the in-memory lists (of ``only`` calls, default all) to Redis again."""
        calls = self._calls if only is None else [c for c in only if c in self._calls]
        pipe = self._client.pipeline(transaction=False)
        for call_id in calls:
            key = running_key(self._namespace, call_id)
            pipe.delete(key)
            pipe.rpush(key, *self._calls[call_id])
            pipe.expire(key, self._ttl)
        pipe.execute()


def recovered_completion(proof: CallEvent, entry: str, reason: str) -> CallEvent:
    """The ``CHANNEL_EXECUTE_COMPLETE`` of ``entry``'s command, whose own event was lost,
    rebuilt from ``proof`` (the completion of a command written after it on the same
    channel): the channel's data at that moment, with the application fields of
    ``entry`` and :data:`~kazoo_tasks.events.SYNTHETIC_HEADER` set to ``reason``."""
    command: dict[str, Any] = json.loads(entry)
    headers = dict(proof["headers"])
    headers.update(
        {
            "Event-Name": "CHANNEL_EXECUTE_COMPLETE",
            "Application": command["app"],
            "Application-Data": command["args"],
            "Application-Response": RECOVERED_RESPONSE,
            "Application-UUID": command["id"],
            SYNTHETIC_HEADER: reason,
        }
    )
    headers.pop("Event-Sequence", None)
    event: dict[str, Any] = {
        **proof,
        "name": "CHANNEL_EXECUTE_COMPLETE",
        "sequence": 0,
        "headers": headers,
        "application_name": command["app"],
        "application_data": command["args"],
        "application_response": RECOVERED_RESPONSE,
        "application_uuid": command["id"],
    }
    event.pop("body", None)
    return event  # type: ignore[return-value]
