"""``/v2/accounts/{account_id}/conferences``: the generic CRUD resource (a GET of one room
shows who is in it under ``_read_only``), plus Kazoo's live control of a running room:
``PUT conferences/{id}`` with an ``action`` (play, lock, unlock, and mute / unmute /
deaf / undeaf / kick for everyone), ``GET conferences/{id}/participants``, ``PUT
conferences/{id}/participants`` (mute / unmute / deaf / undeaf / kick everyone) and
``PUT conferences/{id}/participants/{participant_id}`` (the same, or play, for one).

The action is read where Kazoo's clients put it: ``{"action": ..., "data": {...}}`` or
``{"data": {"action": ..., "data": {...}}}``."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_restx import Resource
from marshmallow import Schema

from api.conferences import schema, service
from api.conferences.live import LiveConferences
from api.context import ApiContext
from api.crud import ACCOUNT_ID_PARAM, SCOPED, CrudRoutes
from api.documents import ResourceSpec, validate
from api.errors import InvalidRequest, NotFoundError
from api.http import ok
from api.limits import parse_json
from api.swagger import ErrorDocs, SharedModels, add_model, envelope
from schemas.conferences import ParticipantAction, ParticipantsAction, RoomAction
from schemas.jsonschema import object_schema

SPEC = ResourceSpec("conferences", schema.DOCUMENT, schema.SUMMARY, service.RULES)
ROOM = {"account_id": ACCOUNT_ID_PARAM, "doc_id": "Conference id"}
PARTICIPANT = {**ROOM, "participant_id": "Participant id (the switch's member id)"}


def action_body() -> dict[str, Any]:
    """``{"action", "data"}`` from the request body, top-level or inside ``data``."""
    raw = request.get_data(cache=True)
    body = parse_json(raw) if raw.strip() else {}
    if not isinstance(body, dict):
        raise InvalidRequest({"message": 'request body must be an object {"data": {...}}'})
    if "action" in body:
        return {"action": body["action"], "data": body.get("data") or {}}
    inner = body.get("data") or {}
    return inner if isinstance(inner, dict) else {"action": None}


def extend(routes: CrudRoutes, context: ApiContext, shared: SharedModels) -> None:
    """Add the live routes."""
    ns = routes.namespace
    api = routes.api
    live = LiveConferences(context.redis, context.settings, context.store)
    documents = routes.service
    errors = ErrorDocs(ns, shared.error)
    answer = add_model(api, "ConferenceActionEnvelope", envelope({"type": "object"}))
    listing = add_model(
        api, "ConferenceParticipantsEnvelope", envelope({"type": "array", "items": {}})
    )
    bodies = {
        name: add_model(api, name, object_schema(action))
        for name, action in (
            ("ConferenceRoomAction", RoomAction),
            ("ConferenceParticipantsAction", ParticipantsAction),
            ("ConferenceParticipantAction", ParticipantAction),
        )
    }

    def room_of(account_id: str, doc_id: str) -> str:
        """The conference id, once the document is known in the account (404 if not)."""
        return str(documents.read(account_id, doc_id)["_id"])

    def act(
        action: type[Schema], account_id: str, doc_id: str, participant_id: int | None = None
    ) -> Any:
        """Validate the request's action against ``action``, then run it on the room."""
        asked = validate(action, action_body())
        room = room_of(account_id, doc_id)
        return ok(live.act(account_id, room, asked["action"], asked["data"], participant_id))

    @ns.route("/<doc_id>", endpoint="conference_action")
    @ns.doc(params=ROOM)
    @errors(
        (400, "Not an action of the room, or a media that cannot be played"),
        401,
        403,
        404,
        (409, "Nobody is in the room"),
    )
    class Room(Resource):
        method_decorators = SCOPED

        @ns.doc("act_on_conference")
        @ns.expect(bodies["ConferenceRoomAction"], validate=False)
        @ns.response(200, "Asked of the switch", answer)
        def put(self, account_id: str, doc_id: str) -> Any:
            return act(RoomAction, account_id, doc_id)

    @ns.route("/<doc_id>/participants")
    @ns.doc(params=ROOM)
    @errors(401, 403, 404)
    class Participants(Resource):
        method_decorators = SCOPED

        @ns.doc("list_conference_participants")
        @ns.response(200, "Who is in the room now", listing)
        def get(self, account_id: str, doc_id: str) -> Any:
            return ok(live.participants(account_id, room_of(account_id, doc_id)))

        @ns.doc("act_on_conference_participants")
        @ns.expect(bodies["ConferenceParticipantsAction"], validate=False)
        @ns.response(200, "Asked of the switch", answer)
        @errors((400, "Not an action of participants"), (409, "Nobody is in the room"))
        def put(self, account_id: str, doc_id: str) -> Any:
            return act(ParticipantsAction, account_id, doc_id)

    @ns.route("/<doc_id>/participants/<participant_id>")
    @ns.doc(params=PARTICIPANT)
    @errors(
        (400, "Not an action of a participant"),
        401,
        403,
        (404, "No such room, or no such participant in it"),
        (409, "Nobody is in the room"),
    )
    class Participant(Resource):
        method_decorators = SCOPED

        @ns.doc("act_on_conference_participant")
        @ns.expect(bodies["ConferenceParticipantAction"], validate=False)
        @ns.response(200, "Asked of the switch", answer)
        def put(self, account_id: str, doc_id: str, participant_id: str) -> Any:
            if not participant_id.isdigit() or len(participant_id) > 9:
                raise NotFoundError({"message": "no such participant", "cause": participant_id})
            return act(ParticipantAction, account_id, doc_id, int(participant_id))
