"""Live conference participants, kept in Redis from FreeSWITCH's ``conference::maintenance``
events (as Kazoo's ecallmgr keeps them from the same events).

One hash per room, ``<ns>:conference:<room>``: a field per member id holding the
participant as JSON, in Kazoo's shape (``participant_id``, ``call_id``, ``speak``,
``hear``, ``is_moderator``, ``join_time``...) plus the switch ``node`` it is on. Events
are applied by housekeeping tasks that may run out of order on several workers, so each
write carries the event's FreeSWITCH time (``Event-Date-Timestamp``, then
``Event-Sequence``) and a Lua script refuses one older than what the field holds; a
member that left stays as a short tombstone (``left``) so a late mute cannot bring it
back (within that room: a room opened again under the same name numbers its members
from 1 again, and its ``Conference-Unique-ID`` tells them apart). The hash expires a
day after its last event (a switch that vanished leaves nothing for ever); readers also
drop participants whose call has ended.
"""

from __future__ import annotations

import json
from typing import Any

from kazoo_tasks.clock import to_gregorian

ROOM_TTL = 86_400
"""Seconds a room's hash lives after its last event."""
MEMBER_EVENTS = frozenset(
    {
        "add-member",
        "del-member",
        "mute-member",
        "unmute-member",
        "deaf-member",
        "undeaf-member",
        "kick-member",
        "start-talking",
        "stop-talking",
        "floor-change",
    }
)
"""Actions that carry a member's state (the others are about the room)."""

_APPLY = """
local stored = redis.call('HGET', KEYS[1], ARGV[1])
local new = cjson.decode(ARGV[2])
if stored then
  local old = cjson.decode(stored)
  if old['event_ts'] > new['event_ts'] or
     (old['event_ts'] == new['event_ts'] and old['event_seq'] >= new['event_seq']) then
    return 0
  end
  if old['conference_uuid'] == new['conference_uuid'] then
    new['join_time'] = old['join_time']
    if old['left'] then new['left'] = true end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(new))
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""


def room_key(namespace: str, room: str) -> str:
    """Key of the hash of a room's participants."""
    return f"{namespace}:conference:{room}"


def _flag(headers: dict[str, str], name: str) -> bool:
    return headers.get(name, "false") == "true"


def _int(text: str) -> int:
    return int(text) if text.isdigit() else 0


def participant_from(headers: dict[str, str], node: str) -> dict[str, Any]:
    """A participant as the event with ``headers`` (decoded plain headers) shows it."""
    timestamp_us = _int(headers.get("Event-Date-Timestamp", "0"))
    action = headers.get("Action", "")
    return {
        "participant_id": _int(headers.get("Member-ID", "0")),
        "call_id": headers.get("Unique-ID", ""),
        "conference_name": headers.get("Conference-Name", ""),
        "conference_uuid": headers.get("Conference-Unique-ID", ""),
        "switch_hostname": headers.get("FreeSWITCH-Hostname", ""),
        "node": node,
        "caller_id_name": headers.get("Caller-Caller-ID-Name", ""),
        "caller_id_number": headers.get("Caller-Caller-ID-Number", ""),
        "floor": _flag(headers, "Floor"),
        "hear": _flag(headers, "Hear"),
        "speak": _flag(headers, "Speak"),
        "talking": _flag(headers, "Talking"),
        "mute_detect": _flag(headers, "Mute-Detect"),
        "video": _flag(headers, "Video"),
        "is_moderator": headers.get("Member-Type") == "moderator",
        "energy_level": _int(headers.get("Energy-Level", "0")),
        "current_energy": _int(headers.get("Current-Energy", "0")),
        "join_time": timestamp_us / 1e6,
        "left": action in ("del-member", "kick-member"),
        "event_ts": timestamp_us,
        "event_seq": _int(headers.get("Event-Sequence", "0")),
    }


def apply_event(client: Any, namespace: str, headers: dict[str, str], node: str) -> bool:
    """Apply one ``conference::maintenance`` event; False when it changes nothing (about
    the room only, or older than what is stored)."""
    if headers.get("Action") not in MEMBER_EVENTS or not headers.get("Member-ID"):
        return False
    participant = participant_from(headers, node)
    key = room_key(namespace, participant["conference_name"])
    encoded = json.dumps(participant, separators=(",", ":"))
    return bool(client.eval(_APPLY, 1, key, participant["participant_id"], encoded, ROOM_TTL))


def participants(client: Any, namespace: str, room: str, now: float) -> list[dict[str, Any]]:
    """The members in ``room`` (who have not left), by participant id, as Kazoo shows
    them (``join_time`` in gregorian seconds, ``duration`` in seconds); ``node`` and
    ``call_id`` say where each one is."""
    found = []
    for raw in client.hvals(room_key(namespace, room)):
        member = json.loads(raw)
        if member.pop("left"):
            continue
        joined = member["join_time"]
        member["duration"] = max(int(now - joined), 0)
        member["join_time"] = to_gregorian(joined)
        del member["event_ts"], member["event_seq"]
        found.append(member)
    return sorted(found, key=lambda m: m["participant_id"])
