"""``/v2/accounts/{account_id}/vmboxes``: the generic CRUD resource, plus the messages of
each box: ``/vmboxes/{id}/messages`` (GET list), ``/messages/{media_id}`` (GET, POST to
move it to another folder, DELETE) and ``/messages/{media_id}/raw`` (GET the audio)."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_restx import Resource

from api.context import ApiContext
from api.crud import ACCOUNT_ID_PARAM, LIST_PARAMS, REVISION_PARAMS, SCOPED, CrudRoutes
from api.documents import ResourceSpec
from api.http import expected_revision, ok, request_data
from api.listing import ListQuery
from api.swagger import ErrorDocs, SharedModels, add_model, envelope
from api.vmboxes import schema, service
from schemas.jsonschema import object_schema
from schemas.vmboxes import VmboxMessageMetadata

SPEC = ResourceSpec("vmboxes", schema.DOCUMENT, schema.SUMMARY, service.RULES)

_MESSAGE = {
    "type": "object",
    "properties": {
        "media_id": {"type": "string"},
        "folder": {"type": "string", "enum": ["new", "saved", "deleted"]},
        "timestamp": {"type": "integer", "description": "Gregorian seconds"},
        "caller_id_number": {"type": "string"},
        "caller_id_name": {"type": "string"},
        "from": {"type": "string"},
        "to": {"type": "string"},
        "length": {"type": "integer", "description": "Milliseconds"},
        "call_id": {"type": "string"},
    },
}


def extend(routes: CrudRoutes, context: ApiContext, shared: SharedModels) -> None:
    """Add the message routes."""
    ns = routes.namespace
    messages = service.Messages(routes.service)
    api = routes.api
    message = add_model(api, "VmboxMessage", _MESSAGE)
    ref = {"$ref": "#/definitions/VmboxMessage"}
    one = add_model(api, "VmboxMessageEnvelope", envelope(ref), [message])
    many = add_model(
        api,
        "VmboxMessageListEnvelope",
        envelope({"type": "array", "items": ref}, page_size={"type": "integer"}),
        [message],
    )
    change = add_model(api, "VmboxMessageChange", object_schema(VmboxMessageMetadata))
    change_request = add_model(
        api,
        "VmboxMessageChangeRequest",
        {
            "type": "object",
            "required": ["data"],
            "properties": {"data": {"$ref": "#/definitions/VmboxMessageChange"}},
        },
        [change],
    )
    params = {"account_id": ACCOUNT_ID_PARAM, "doc_id": "Voicemail box id"}
    errors = ErrorDocs(ns, shared.error)

    @ns.route("/<doc_id>/messages")
    @ns.doc(params=params)
    @errors(401, 403, (404, "No such box"))
    class MessageList(Resource):
        method_decorators = SCOPED

        @ns.doc("list_vmbox_messages", params=LIST_PARAMS)
        @ns.response(200, "The box's messages", many)
        @errors((400, "Bad list arguments"))
        def get(self, account_id: str, doc_id: str) -> Any:
            page = messages.list(account_id, doc_id, ListQuery.from_args(request.args))
            data = [service.message_view(doc) for doc in page.docs]
            extra: dict[str, Any] = {"page_size": len(data)}
            if page.next_start_key:
                extra["next_start_key"] = page.next_start_key
            return ok(data, extra=extra)

    @ns.route("/<doc_id>/messages/<message_id>")
    @ns.doc(params={**params, "message_id": "Message id (media_id)"})
    @errors(401, 403, (404, "No such box or message"))
    class Message(Resource):
        method_decorators = SCOPED

        @ns.doc("get_vmbox_message")
        @ns.response(200, "The message", one)
        def get(self, account_id: str, doc_id: str, message_id: str) -> Any:
            doc = messages.read(account_id, doc_id, message_id)
            return ok(service.message_view(doc), revision=doc["_rev"])

        @ns.doc("update_vmbox_message", params=REVISION_PARAMS)
        @ns.expect(change_request, validate=False)
        @ns.response(200, "Updated", one)
        @errors(400, 409)
        def post(self, account_id: str, doc_id: str, message_id: str) -> Any:
            doc = messages.update(
                account_id, doc_id, message_id, request_data(), expected_revision()
            )
            return ok(service.message_view(doc), revision=doc["_rev"])

        @ns.doc("delete_vmbox_message", params=REVISION_PARAMS)
        @ns.response(200, "Deleted (the message as it was)", one)
        @errors(409)
        def delete(self, account_id: str, doc_id: str, message_id: str) -> Any:
            doc = messages.delete(account_id, doc_id, message_id, expected_revision())
            return ok(service.message_view(doc), revision=doc["_rev"])

    @ns.route("/<doc_id>/messages/<message_id>/raw")
    @ns.doc(params={**params, "message_id": "Message id (media_id)"})
    @errors(401, 403, (404, "No such box, message or recording"))
    class MessageRaw(Resource):
        method_decorators = SCOPED

        @ns.doc("get_vmbox_message_raw")
        @ns.produces(["audio/mpeg", "audio/wav", "audio/x-wav", "audio/ogg"])
        @ns.response(200, "The recording")
        def get(self, account_id: str, doc_id: str, message_id: str) -> Any:
            audio = messages.audio(account_id, doc_id, message_id)
            return Response(audio.data, mimetype=audio.content_type)
