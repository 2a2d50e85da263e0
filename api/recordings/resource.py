"""``/v2/accounts/{account_id}/recordings``: call recordings, read-only (GET list and
one), plus ``/recordings/{id}/raw``: GET the audio. A recording still being made, or
dropped (shorter than its ``record_min_sec``), is not shown."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_restx import Resource

from api.context import ApiContext
from api.crud import ACCOUNT_ID_PARAM, SCOPED, CrudRoutes
from api.documents import DocumentRules, ResourceSpec
from api.errors import NotFoundError
from api.recordings import schema
from api.swagger import ErrorDocs, SharedModels
from kazoo_tasks.docstore import NotFound, account_db
from kazoo_tasks.switch_files import CONTENT_TYPES

SPEC = ResourceSpec("recordings", schema.DOCUMENT, schema.SUMMARY, DocumentRules(), read_only=True)


def extend(routes: CrudRoutes, context: ApiContext, shared: SharedModels) -> None:
    """Add the ``raw`` route."""
    ns = routes.namespace
    documents = routes.service
    errors = ErrorDocs(ns, shared.error)

    @ns.route("/<doc_id>/raw")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM, "doc_id": "Recording id"})
    @errors(401, 403, (404, "No such recording, or its audio has not arrived yet"))
    class RecordingRaw(Resource):
        method_decorators = SCOPED

        @ns.doc("get_recording_raw")
        @ns.produces(sorted(set(CONTENT_TYPES.values())))
        @ns.response(200, "The audio")
        def get(self, account_id: str, doc_id: str) -> Any:
            doc = documents.read(account_id, doc_id)
            try:
                audio = documents.store.get_attachment(account_db(account_id), doc_id, doc["name"])
            except NotFound:
                raise NotFoundError({"message": "no audio yet", "cause": doc_id}) from None
            return Response(audio.data, mimetype=audio.content_type)
