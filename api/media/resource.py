"""``/v2/accounts/{account_id}/media``: the generic CRUD resource, plus
``/media/{id}/raw``: GET downloads the audio, POST uploads it, either as the raw
request body with an audio Content-Type or as a multipart form field ``file``."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_restx import Resource
from werkzeug.datastructures import FileStorage

from api.context import ApiContext
from api.crud import ACCOUNT_ID_PARAM, SCOPED, CrudRoutes, document_answer
from api.documents import ResourceSpec
from api.http import expected_revision
from api.media import schema, service
from api.swagger import ErrorDocs, SharedModels
from schemas.media import AUDIO_CONTENT_TYPES

SPEC = ResourceSpec("media", schema.DOCUMENT, schema.SUMMARY, service.RULES)


def _upload() -> tuple[bytes, str]:
    """The uploaded audio and its content type, from a multipart form, the raw body, or
    a base64 body (``application/x-base64``: the type comes from its ``data:`` URI)."""
    upload: FileStorage | None = request.files.get("file")
    if upload is not None:
        return upload.read(), upload.mimetype or ""
    if request.mimetype in service.BASE64_TYPES:
        content_type, data = service.decode_base64_upload(request.get_data())
        return data, content_type or "application/octet-stream"
    return request.get_data(), request.mimetype or ""


def extend(routes: CrudRoutes, context: ApiContext, shared: SharedModels) -> None:
    """Add the ``raw`` route."""
    ns = routes.namespace
    documents = routes.service
    errors = ErrorDocs(ns, shared.error)
    upload_parser = ns.parser()
    upload_parser.add_argument("file", location="files", type=FileStorage, required=True)

    @ns.route("/<doc_id>/raw")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM, "doc_id": "Media id"})
    @errors(401, 403, 404)
    class MediaRaw(Resource):
        method_decorators = SCOPED

        @ns.doc("get_media_raw")
        @ns.produces(list(AUDIO_CONTENT_TYPES))
        @ns.response(200, "The audio")
        def get(self, account_id: str, doc_id: str) -> Any:
            audio = service.load_audio(documents, account_id, doc_id)
            return Response(audio.data, mimetype=audio.content_type)

        @ns.doc("upload_media_raw")
        @ns.expect(upload_parser, validate=False)
        @ns.response(200, "Uploaded; the updated media document", routes.models.envelope)
        @errors((400, "Unsupported or empty upload"), 409)
        def post(self, account_id: str, doc_id: str) -> Any:
            data, content_type = _upload()
            doc = service.store_audio(
                documents,
                account_id,
                doc_id,
                data,
                content_type,
                context.settings.media_max_bytes,
                expected_revision(),
            )
            return document_answer(doc)
