"""``/v2/accounts/{account_id}/queues``: the generic CRUD resource, plus the live call
center: ``queues/stats`` (every queue), ``queues/{id}/stats`` (with the callers waiting
and the agents logged in), ``queues/{id}/roster`` (GET; POST sets it; DELETE clears it)."""

from __future__ import annotations

from typing import Any

from flask_restx import Resource

from api.agents.resource import by_id, call_center
from api.context import ApiContext
from api.crud import ACCOUNT_ID_PARAM, SCOPED, CrudRoutes
from api.documents import ResourceSpec
from api.http import ok, request_data
from api.queues import schema, service
from api.read_routes import read_route
from api.swagger import ErrorDocs, SharedModels, add_model, envelope, ref
from schemas.acdc import QueueStatsSchema
from schemas.jsonschema import object_schema

SPEC = ResourceSpec("queues", schema.DOCUMENT, schema.SUMMARY, service.RULES)
QUEUE = {"account_id": ACCOUNT_ID_PARAM, "doc_id": "Queue id"}
ROSTER = {"type": "array", "items": {"type": "string"}}


def extend(routes: CrudRoutes, context: ApiContext, shared: SharedModels) -> None:
    """Add the roster and stats routes."""
    ns = routes.namespace
    api = routes.api
    center = call_center(context)
    errors = ErrorDocs(ns, shared.error)
    stats = add_model(api, "QueueStats", object_schema(QueueStatsSchema))
    one_stats = add_model(api, "QueueStatsEnvelope", envelope(ref(stats)), [stats])
    all_stats = by_id(api, "QueuesStatsEnvelope", stats)
    roster = add_model(api, "QueueRosterEnvelope", envelope(ROSTER))

    read_route(
        ns, errors, "/stats", params={"account_id": ACCOUNT_ID_PARAM},
        operation="list_queue_stats", description="Each queue's counters, by id",
        read=center.queue_stats, model=all_stats,
    )  # fmt: skip
    read_route(
        ns, errors, "/<doc_id>/stats", params=QUEUE, operation="get_queue_stats",
        description="The queue's counters, callers and agents", model=one_stats,
        read=lambda account_id, doc_id: center.queue_stats(account_id, doc_id),
        answers=(401, 403, 404),
    )  # fmt: skip

    @ns.route("/<doc_id>/roster")
    @ns.doc(params=QUEUE)
    @errors(401, 403, 404)
    class Roster(Resource):
        method_decorators = SCOPED

        @ns.doc("get_queue_roster")
        @ns.response(200, "The agents (user ids) assigned to the queue", roster)
        def get(self, account_id: str, doc_id: str) -> Any:
            return ok(center.roster(account_id, doc_id))

        @ns.doc("set_queue_roster")
        @ns.expect(roster, validate=False)
        @ns.response(200, "The roster as set", roster)
        @errors((400, "Not a list of the account's user ids"))
        def post(self, account_id: str, doc_id: str) -> Any:
            return ok(center.set_roster(account_id, doc_id, request_data()))

        @ns.doc("clear_queue_roster")
        @ns.response(200, "The roster, now empty", roster)
        def delete(self, account_id: str, doc_id: str) -> Any:
            return ok(center.set_roster(account_id, doc_id, []))
