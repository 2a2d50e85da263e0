"""``/v2/accounts/{account_id}/vmboxes``: the generic CRUD resource, plus the messages of
each box: ``/vmboxes/{id}/messages`` (GET list; POST changes several at once: folder,
move or copy to other boxes; DELETE removes several), ``/messages/{media_id}`` (GET,
POST to change its folder, move or copy it, DELETE) and ``/messages/{media_id}/raw``
(GET the audio), as Kazoo's voicemail API."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_restx import Resource

from api.context import ApiContext
from api.crud import ACCOUNT_ID_PARAM, LIST_PARAMS, REVISION_PARAMS, SCOPED, CrudRoutes
from api.documents import ResourceSpec
from api.http import expected_revision, ok, request_data
from api.listing import ListQuery
from api.swagger import ErrorDocs, SharedModels, add_model, body_models, envelope, ref
from api.vmboxes import schema, service
from schemas.vmboxes import VmboxMessageChange, VmboxMessagesChange

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


def with_folder_arg(data: Any) -> Any:
    """The request's data with the ``folder`` of the query string (``?folder=saved``, as
    Kazoo takes it) when the body names none."""
    folder = request.args.get("folder")
    if folder is None or not isinstance(data, dict) or "folder" in data:
        return data
    return {**data, "folder": folder}


def extend(routes: CrudRoutes, context: ApiContext, shared: SharedModels) -> None:
    """Add the message routes."""
    ns = routes.namespace
    messages = service.Messages(routes.service)
    api = routes.api
    message = add_model(api, "VmboxMessage", _MESSAGE)
    message_ref = ref(message)
    one = add_model(api, "VmboxMessageEnvelope", envelope(message_ref), [message])
    many = add_model(
        api,
        "VmboxMessageListEnvelope",
        envelope({"type": "array", "items": message_ref}, page_size={"type": "integer"}),
        [message],
    )
    change_request = body_models(api, "VmboxMessageChange", VmboxMessageChange).request
    changes_request = body_models(
        api, "VmboxMessagesChange", VmboxMessagesChange, required=False
    ).request
    outcome = add_model(
        api,
        "VmboxMessagesOutcomeEnvelope",
        envelope(
            {
                "type": "object",
                "properties": {
                    "succeeded": {"type": "array", "items": {"type": "string"}},
                    "failed": {
                        "type": "array",
                        "items": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                },
            }
        ),
    )
    params = {"account_id": ACCOUNT_ID_PARAM, "doc_id": "Voicemail box id"}
    errors = ErrorDocs(ns, shared.error)

    def bulk(operation: str, done: str, apply: Any) -> Any:
        """POST (change) and DELETE of several messages of a box: ``apply`` does it."""

        @ns.doc(operation)
        @ns.expect(changes_request, validate=False)
        @ns.response(200, f"Which messages were {done} and which failed", outcome)
        @errors(400)
        def method(self: Resource, account_id: str, doc_id: str) -> Any:
            return ok(apply(account_id, doc_id, with_folder_arg(request_data())))

        return method

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

        post = bulk("change_vmbox_messages", "changed", messages.update_many)
        delete = bulk("delete_vmbox_messages", "deleted", messages.delete_many)

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
            data, revision = with_folder_arg(request_data()), expected_revision()
            doc = messages.update(account_id, doc_id, message_id, data, revision)
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
