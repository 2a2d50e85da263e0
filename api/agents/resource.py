"""``/v2/accounts/{account_id}/agents``: the call center's agents (users with ``queues``),
``agents/status`` and ``agents/stats`` (every agent), ``agents/{agent_id}/status`` (GET;
POST ``login`` | ``logout`` | ``pause`` | ``resume`` | ``end_wrapup``) and
``agents/{agent_id}/queue_status`` (GET; POST ``login`` | ``logout`` one queue)."""

from __future__ import annotations

from typing import Any

from flask_restx import Resource

from api.agents.service import CallCenter
from api.context import ApiContext
from api.crud import ACCOUNT_ID_PARAM, SCOPED
from api.http import ok, request_data
from api.read_routes import read_route
from api.swagger import ErrorDocs, SharedModels, add_model, envelope, ref
from schemas.acdc import (
    AgentStatsSchema,
    AgentStatusSchema,
    QueueStatusChangeSchema,
    StatusChangeSchema,
)
from schemas.jsonschema import object_schema

AGENT = {"account_id": ACCOUNT_ID_PARAM, "agent_id": "The agent's user id"}


def call_center(context: ApiContext) -> CallCenter:
    """The call center over the context's users and queues documents."""
    return CallCenter(
        context.redis, context.settings, context.documents["users"], context.documents["queues"]
    )


def by_id(api: Any, title: str, item: Any) -> Any:
    """An envelope whose data maps ids to ``item``."""
    data = {"type": "object", "additionalProperties": ref(item)}
    return add_model(api, title, envelope(data), [item])


def register(api: Any, context: ApiContext, shared: SharedModels) -> None:
    """Add the agent routes."""
    ns = api.namespace(
        "agents", path="/accounts/<account_id>/agents", description="Call center agents"
    )
    center = call_center(context)
    errors = ErrorDocs(ns, shared.error)
    status = add_model(api, "AgentStatus", object_schema(AgentStatusSchema))
    stats = add_model(api, "AgentStats", object_schema(AgentStatsSchema))
    change = add_model(api, "AgentStatusChange", object_schema(StatusChangeSchema))
    change_request = add_model(api, "AgentStatusChangeRequest", envelope(ref(change)), [change])
    one_status = add_model(api, "AgentStatusEnvelope", envelope(ref(status)), [status])
    statuses = by_id(api, "AgentStatusesEnvelope", status)
    all_stats = by_id(api, "AgentStatsEnvelope", stats)

    account = {"account_id": ACCOUNT_ID_PARAM}
    read_route(
        ns, errors, "", params=account, operation="list_agents",
        description="Users with queues: id, first_name, last_name, queues",
        read=center.agents, listing=True,
    )  # fmt: skip
    read_route(
        ns, errors, "/status", params=account, operation="list_agent_statuses",
        description="Each agent with a live state, by id", read=center.statuses, model=statuses,
    )  # fmt: skip
    read_route(
        ns, errors, "/stats", params=account, operation="list_agent_stats",
        description="Each agent's counters, by id", read=center.agent_stats, model=all_stats,
    )  # fmt: skip

    @ns.route("/<agent_id>/status")
    @ns.doc(params=AGENT)
    @errors(401, 403, (404, "No such user in the account"))
    class Status(Resource):
        method_decorators = SCOPED

        @ns.doc("get_agent_status")
        @ns.response(200, "The agent's live status", one_status)
        def get(self, account_id: str, agent_id: str) -> Any:
            return ok(center.status(account_id, agent_id))

        @ns.doc("change_agent_status")
        @ns.expect(change_request, validate=False)
        @ns.response(200, "Done; the agent's live status", one_status)
        @errors((400, "Bad body, or not possible in the agent's state"))
        def post(self, account_id: str, agent_id: str) -> Any:
            return ok(center.change(account_id, agent_id, request_data()))

    queue_change = add_model(api, "AgentQueueChange", object_schema(QueueStatusChangeSchema))
    queue_request = add_model(
        api, "AgentQueueChangeRequest", envelope(ref(queue_change)), [queue_change]
    )

    @ns.route("/<agent_id>/queue_status")
    @ns.doc(params=AGENT)
    @errors(401, 403, (404, "No such user in the account"))
    class QueueStatus(Resource):
        method_decorators = SCOPED

        @ns.doc("get_agent_queue_status")
        @ns.response(200, "The queues the agent takes calls from now")
        def get(self, account_id: str, agent_id: str) -> Any:
            return ok(center.queue_status(account_id, agent_id))

        @ns.doc("change_agent_queue_status")
        @ns.expect(queue_request, validate=False)
        @ns.response(200, "Done; the agent's queues")
        @errors((400, "Bad body, or no such queue"))
        def post(self, account_id: str, agent_id: str) -> Any:
            return ok(center.change_queue(account_id, agent_id, request_data()))
