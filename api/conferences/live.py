"""A conference room as it runs on the switch: who is in it, and the actions an admin
takes on it (Kazoo's ``PUT conferences/{id}`` and ``.../participants``).

The participants are those the switch reported (``conference::maintenance`` events, kept
in Redis by :mod:`kazoo_tasks.conferences`), less any whose call has ended. An action
becomes one FreeSWITCH ``conference`` api command (``conference <room> mute 3``), sent
through the command queue of the switch node the room's participants are on, for
ecallmgr to run like any call command; the switch's events then update the
participants. A room nobody is in is not running on any switch: acting on it is refused
(409), and so is a participant id not in it (404).
"""

from __future__ import annotations

import uuid
from typing import Any

import redis
from marshmallow import ValidationError

from api import broker
from api.errors import ApiError, NotFoundError, field_error
from callflow import media as media_refs
from callflow.modules.conference import room_name
from kazoo_tasks.bus import command_exchange, command_queue
from kazoo_tasks.callstate import STATUS_ENDED, CallStore
from kazoo_tasks.callstate.store import now
from kazoo_tasks.commands import validate_command
from kazoo_tasks.conferences import participants
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore


class NotRunning(ApiError, code=409, message="conference_not_running"):
    """409: the room has nobody in it, so no switch runs it."""


class LiveConferences:
    """The running rooms of the accounts the API serves."""

    def __init__(self, client: redis.Redis, settings: Settings, store: DocumentStore) -> None:
        self.client = client
        self.settings = settings
        self.store = store
        self.calls = CallStore(client, settings)

    def participants(self, account_id: str, conference_id: str) -> list[dict[str, Any]]:
        """Who is in the room now, by participant id (Kazoo's participant fields)."""
        room = room_name(account_id, conference_id)
        found = participants(self.client, self.settings.namespace, room, now())
        records = self.calls.records([p["call_id"] for p in found])
        return [p for p in found if _live(records.get(p["call_id"]))]

    def summary(self, account_id: str, conference_id: str) -> dict[str, Any]:
        """Kazoo's ``_read_only`` of a conference document: counts and participants."""
        members = self.participants(account_id, conference_id)
        return {
            "members": sum(1 for p in members if not p["is_moderator"]),
            "admins": sum(1 for p in members if p["is_moderator"]),
            "duration": max((p["duration"] for p in members), default=0),
            "participants": members,
        }

    def act(
        self,
        account_id: str,
        conference_id: str,
        action: str,
        data: dict[str, Any],
        participant_id: int | None = None,
    ) -> dict[str, Any]:
        """Run ``action`` on the room (every participant) or on one participant; returns
        what was asked of the switch."""
        members = self.participants(account_id, conference_id)
        if not members:
            raise NotRunning({"message": "nobody is in this conference", "cause": conference_id})
        target = "all"
        via = members[0]
        if participant_id is not None:
            chosen = [p for p in members if p["participant_id"] == participant_id]
            if not chosen:
                raise NotFoundError({"message": "no such participant", "cause": participant_id})
            via = chosen[0]
            target = str(participant_id)
        room = room_name(account_id, conference_id)
        if action == "play":
            words = [room, "play", self._media(account_id, data)]
            if participant_id is not None:
                words.append(target)
        elif action in ("lock", "unlock"):
            words = [room, action]
        else:
            words = [room, action, target]
        args = " ".join(words)
        self._send(via, args)
        return {"action": action, "conference_id": conference_id, "command": f"conference {args}"}

    def _media(self, account_id: str, data: dict[str, Any]) -> str:
        nested = data.get("data") or {}
        reference = data.get("media_id") or nested.get("media_id")
        if not reference:
            raise field_error("data.media_id", "required", "play needs a media_id")
        try:
            return media_refs.playable(self.settings, self.store, account_id, str(reference))
        except media_refs.MediaNotFound:
            raise field_error("data.media_id", "not_found", "no such media with audio") from None
        except ValueError as error:
            raise field_error("data.media_id", "pattern", str(error)) from None

    def _send(self, via: dict[str, Any], args: str) -> None:
        """Publish the ``conference`` command to the node of participant ``via``."""
        node = via["node"]
        try:
            command = validate_command(
                {
                    "id": uuid.uuid4().hex,
                    "call_id": via["call_id"],
                    "node": node,
                    "kind": "api",
                    "app": "conference",
                    "args": args,
                }
            )
        except ValidationError:
            raise field_error(
                "data.media_id", "pattern", "this media cannot be played into a conference"
            ) from None
        ns = self.settings.namespace
        queue = command_queue(ns, node, self.settings.broker_queue_type)
        broker.publish(self.settings, dict(command), command_exchange(ns), node, queue)


def _live(record: dict[str, Any] | None) -> bool:
    return record is not None and record.get("status") != STATUS_ENDED
