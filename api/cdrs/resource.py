"""``/v2/accounts/{account_id}/cdrs``: the generic CRUD resource (GET only), plus
``cdrs/{cdr_id}/ladder``: the CDR's trace as a ladder (:mod:`api.cdrs.ladder`)."""

from __future__ import annotations

from typing import Any

from flask_restx import Resource

from api.cdrs import schema, service
from api.cdrs.ladder import ladder
from api.context import ApiContext
from api.crud import ACCOUNT_ID_PARAM, SCOPED, CrudRoutes
from api.documents import ResourceSpec
from api.http import ok
from api.swagger import REF, ErrorDocs, SharedModels, add_model, envelope, ref
from schemas.cdr_ladder import LadderSchema
from schemas.jsonschema import object_schema

SPEC = ResourceSpec("cdrs", schema.DOCUMENT, schema.SUMMARY, service.RULES, read_only=True)


def extend(routes: CrudRoutes, context: ApiContext, shared: SharedModels) -> None:
    """Add the ladder route."""
    ns = routes.namespace
    model = add_model(routes.api, "CdrLadder", object_schema(LadderSchema, ref_prefix=REF))
    answer = add_model(routes.api, "CdrLadderEnvelope", envelope(ref(model)), [model])
    errors = ErrorDocs(ns, shared.error)

    @ns.route("/<doc_id>/ladder")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM, "doc_id": "CDR id"})
    @errors(401, 403, 404)
    class CdrLadder(Resource):
        method_decorators = SCOPED

        @ns.doc("get_cdr_ladder")
        @ns.response(200, "The CDR's trace, one rung per entry, as a ladder of lanes", answer)
        def get(self, account_id: str, doc_id: str) -> Any:
            return ok(ladder(routes.service.read(account_id, doc_id)))
