"""The call center as admins and supervisors see it: agents (users with ``queues``), their
live status and counters, status changes (the same actions as the ``acdc_agent``
feature codes, :mod:`acdc.service`), and the queues' rosters and counters.

Live state comes from Redis (:mod:`acdc.agent`, :mod:`acdc.queue`); the rosters an admin
sets are the users' ``queues`` (Kazoo's); a change that may let callers be offered, or
sent on, asks a worker to distribute the queues concerned (``kazoo.acdc.distribute``).
"""

from __future__ import annotations

import time
from typing import Any

import redis

from acdc import service as actions
from acdc import skills
from acdc.queue import Queues
from acdc.tasks import request_distribution
from api.broker import broker_app
from api.documents import DocumentService, validate
from api.errors import NotFoundError, field_error
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import account_db
from kazoo_tasks.docstore.base import Document
from kazoo_tasks.docstore.soft_delete import is_deleted
from schemas.acdc import (
    AgentStatsSchema,
    AgentStatusSchema,
    QueueStatsSchema,
    QueueStatusChangeSchema,
    StatusChangeSchema,
)

MAX_ROSTER = 1000
"""Agents one roster request may name."""


def status_view(agent_id: str, live: dict[str, str], queues: list[str]) -> dict[str, Any]:
    """An agent's live hash as the API shows it."""
    view: dict[str, Any] = {"agent_id": agent_id, "status": live.get("state"), "queues": queues}
    for name in ("since", "until"):
        if live.get(name):
            view[name] = int(float(live[name]))
    for name, key in (("reason", "reason"), ("call_id", "call_id"), ("queue_id", "queue")):
        if live.get(key):
            view[name] = live[key]
    if live.get("logout_pending"):
        view["logout_pending"] = True
    if live.get("skills"):
        view["skills"] = skills.decode(live["skills"])
    return AgentStatusSchema().dump(view)


class CallCenter:
    """Agents and queues of the accounts the API serves."""

    def __init__(
        self,
        client: redis.Redis,
        settings: Settings,
        users: DocumentService,
        queue_docs: DocumentService,
    ) -> None:
        self.client = client
        self.settings = settings
        self.users = users
        self.queue_docs = queue_docs

    def _queues(self, account_id: str) -> Queues:
        return Queues(self.client, self.settings.namespace, account_id)

    def _distribute(self, account_id: str, queue_ids: set[str]) -> None:
        request_distribution(broker_app(self.settings), self.settings, account_id, queue_ids)

    def _user_docs(self, account_id: str) -> list[Document]:
        found = self.users.store.find(account_db(account_id), {"pvt_type": "user"})
        return [doc for doc in found if not is_deleted(doc)]

    def _agent(self, account_id: str, agent_id: str) -> Document:
        """The agent's user document (404 when the account has no such user)."""
        return self.users.read(account_id, agent_id)

    # -- agents -----------------------------------------------------------------------------

    def agents(self, account_id: str) -> list[dict[str, Any]]:
        """Users with queues (Kazoo's agents), by id."""
        return [
            {
                "id": doc["_id"],
                "first_name": doc.get("first_name"),
                "last_name": doc.get("last_name"),
                "queues": doc.get("queues") or [],
            }
            for doc in sorted(self._user_docs(account_id), key=lambda d: d["_id"])
            if doc.get("queues")
        ]

    def statuses(self, account_id: str) -> dict[str, dict[str, Any]]:
        """Every agent with a live state."""
        queues = self._queues(account_id)
        return {
            agent_id: status_view(agent_id, live, queues.queues_of(agent_id))
            for agent_id, live in queues.agents.statuses().items()
        }

    def status(self, account_id: str, agent_id: str) -> dict[str, Any]:
        """One agent's live status (logged out when it never logged in)."""
        self._agent(account_id, agent_id)
        queues = self._queues(account_id)
        live = queues.agents.status(agent_id)
        return status_view(agent_id, live, queues.queues_of(agent_id))

    def change(self, account_id: str, agent_id: str, data: Any) -> dict[str, Any]:
        """Apply a status change (400 when the body is wrong or the agent's state does
        not allow it)."""
        body = validate(StatusChangeSchema, data)
        user = self._agent(account_id, agent_id)
        queues = self._queues(account_id)
        done = actions.act(
            queues,
            agent_id,
            body["status"],
            user,
            timeout=body.get("timeout"),
            reason=body.get("reason"),
        )
        if not done.transition.ok:
            message = f"{body['status']} is not possible while the agent is {done.state}"
            raise field_error("status", "state", message, value=done.state)
        self._distribute(account_id, done.queues)
        return self.status(account_id, agent_id)

    def queue_status(self, account_id: str, agent_id: str) -> dict[str, Any]:
        """The queues the agent takes calls from now."""
        self._agent(account_id, agent_id)
        return {"agent_id": agent_id, "queues": self._queues(account_id).queues_of(agent_id)}

    def change_queue(self, account_id: str, agent_id: str, data: Any) -> dict[str, Any]:
        """The agent joins or leaves one queue for now (Kazoo's ``queue_status``; its
        user document is not changed)."""
        body = validate(QueueStatusChangeSchema, data)
        self._agent(account_id, agent_id)
        queue_id = body["queue_id"]
        try:
            self.queue_docs.read(account_id, queue_id)
        except NotFoundError:
            raise field_error("queue_id", "exists", "no such queue", value=queue_id) from None
        queues = self._queues(account_id)
        if body["action"] == "login":
            queues.join(queue_id, agent_id)
        else:
            queues.part(queue_id, agent_id)
        self._distribute(account_id, {queue_id})
        return self.queue_status(account_id, agent_id)

    def agent_stats(self, account_id: str) -> dict[str, dict[str, Any]]:
        """Every agent's counters."""
        agents = self._queues(account_id).agents
        return {
            agent_id: AgentStatsSchema().dump(
                {"agent_id": agent_id, "handled": 0, "missed": 0, **agents.stats(agent_id)}
            )
            for agent_id in agents.statuses()
        }

    # -- queues -----------------------------------------------------------------------------

    def roster(self, account_id: str, queue_id: str) -> list[str]:
        """The agents assigned to the queue (users whose ``queues`` name it)."""
        self.queue_docs.read(account_id, queue_id)
        return [a["id"] for a in self.agents(account_id) if queue_id in a["queues"]]

    def set_roster(self, account_id: str, queue_id: str, data: Any) -> list[str]:
        """Make the roster exactly ``data`` (a list of user ids); logged-in agents join or
        leave the queue at once."""
        self.queue_docs.read(account_id, queue_id)
        wanted = _id_list(data)
        users = {doc["_id"]: doc for doc in self._user_docs(account_id)}
        unknown = [agent_id for agent_id in wanted if agent_id not in users]
        if unknown:
            raise field_error("data", "agents", "not users of this account", value=unknown)
        queues = self._queues(account_id)
        for agent_id, doc in users.items():
            assigned = [q for q in doc.get("queues") or [] if q != queue_id]
            if agent_id in wanted:
                assigned.append(queue_id)
            if assigned != (doc.get("queues") or []):
                self.users.patch(account_id, agent_id, {"queues": assigned})
            live = queues.agents.status(agent_id)["state"] != "logged_out"
            if agent_id in wanted and live:
                queues.join(queue_id, agent_id)
            elif agent_id not in wanted:
                queues.part(queue_id, agent_id)
        self._distribute(account_id, {queue_id})
        return self.roster(account_id, queue_id)

    def queue_stats(self, account_id: str, queue_id: str | None = None) -> Any:
        """Counters of one queue (with its callers and logged-in agents), or of every
        queue of the account with live state."""
        queues = self._queues(account_id)
        if queue_id is not None:
            self.queue_docs.read(account_id, queue_id)
            view = _stats_view(queues, queue_id, self.settings.acdc_sla_seconds)
            now = time.time()
            view["callers"] = [
                {
                    "call_id": m.get("call_id"),
                    "state": m.get("state"),
                    "priority": int(m.get("priority") or 0),
                    "waiting_s": max(int(now - float(m.get("entered_at") or now)), 0),
                }
                for m in queues.members(queue_id)
            ]
            view["agents"] = queues.roster(queue_id)
            return QueueStatsSchema().dump(view)
        sla = self.settings.acdc_sla_seconds
        return {q: QueueStatsSchema().dump(_stats_view(queues, q, sla)) for q in queues.queue_ids()}


def _stats_view(queues: Queues, queue_id: str, sla_seconds: float) -> dict[str, Any]:
    counters = queues.stats(queue_id)
    view: dict[str, Any] = {"queue_id": queue_id}
    for name in QueueStatsSchema().fields:
        if name in counters:
            view[name] = int(counters[name])
    handled = counters.get("handled", 0)
    if handled:
        view["average_wait_s"] = round(counters.get("wait_seconds", 0) / handled, 1)
        view["average_talk_s"] = round(counters.get("talk_seconds", 0) / handled, 1)
    connected, within = queues.service_level(queue_id, sla_seconds)
    view["sla_seconds"] = sla_seconds
    view["answered_last_day"] = connected
    view["answered_within_sla"] = within
    if connected:
        view["service_level_pct"] = round(100 * within / connected, 1)
    return view


def _id_list(data: Any) -> list[str]:
    """Kazoo's roster body: ``{"data": ["user id", ...]}``."""
    if not isinstance(data, list) or not all(isinstance(x, str) and x for x in data):
        raise field_error("data", "type", "data must be a list of user ids")
    if len(data) > MAX_ROSTER:
        raise field_error("data", "maxItems", f"at most {MAX_ROSTER} agents", value=len(data))
    return list(dict.fromkeys(data))
