"""``PUT /v2/api_auth`` and ``PUT /v2/user_auth`` (rate limited; no token needed), and
``/v2/token_auth``: ``GET`` tells whether a token is valid, ``DELETE`` logs out (revokes
it), as Kazoo's token_auth does."""

from __future__ import annotations

import logging
from typing import Any

from flask import g
from flask_restx import Resource

from api.auth import schema
from api.auth.service import AuthService
from api.context import ApiContext
from api.documents import validate
from api.http import ok, request_data
from api.swagger import ErrorDocs, SharedModels, add_model, envelope
from api.tenancy import Auth, authenticated
from schemas.jsonschema import object_schema

log = logging.getLogger(__name__)


def register(api: Any, context: ApiContext, shared: SharedModels, limit: Any) -> None:
    """Add the login routes; ``limit`` is the rate-limit decorator."""
    ns = api.namespace("auth", path="/", description="Log in: get a token")
    service = AuthService(context.store, context.tokens)
    errors = ErrorDocs(ns, shared.error)

    def request_model(name: str, body: type, example: dict[str, Any]) -> Any:
        data = add_model(api, name, object_schema(body))
        return add_model(
            api,
            f"{name}Request",
            {
                "type": "object",
                "required": ["data"],
                "properties": {"data": {"$ref": f"#/definitions/{name}"}},
                "example": {"data": example},
            },
            [data],
        )

    api_auth_model = request_model("ApiAuth", schema.ApiAuthRequest, schema.API_AUTH_EXAMPLE)
    user_auth_model = request_model("UserAuth", schema.UserAuthRequest, schema.USER_AUTH_EXAMPLE)
    token_envelope = add_model(api, "TokenEnvelope", envelope({"type": "object"}))

    def issued(token: str, data: dict[str, Any]) -> Any:
        g.auth_token = token
        return ok(data, code=201)

    @ns.route("/api_auth")
    class ApiAuth(Resource):
        method_decorators = [limit]

        @ns.doc("api_auth", security=[])
        @ns.expect(api_auth_model, validate=False)
        @ns.response(201, "Token issued (auth_token)", token_envelope)
        @errors(400, (401, "Invalid credentials"), (429, "Too many attempts"))
        def put(self) -> Any:
            body = validate(schema.ApiAuthRequest, request_data())
            return issued(*service.api_auth(body["api_key"]))

    @ns.route("/user_auth")
    class UserAuth(Resource):
        method_decorators = [limit]

        @ns.doc("user_auth", security=[])
        @ns.expect(user_auth_model, validate=False)
        @ns.response(201, "Token issued (auth_token)", token_envelope)
        @errors(400, (401, "Invalid credentials"), (429, "Too many attempts"))
        def put(self) -> Any:
            body = validate(schema.UserAuthRequest, request_data())
            return issued(*service.user_auth(body))

    @ns.route("/token_auth")
    class TokenAuth(Resource):
        method_decorators = [authenticated]

        @ns.doc("token_auth_info")
        @ns.response(200, "The token is valid: whose it is", token_envelope)
        @errors(401)
        def get(self) -> Any:
            auth: Auth = g.auth
            data = {**service.answer(auth.account, auth.user), "method": auth.claims.method}
            return ok(data)

        @ns.doc("token_auth_logout")
        @ns.response(200, "Logged out: the token is revoked on every API instance")
        @errors(401)
        def delete(self) -> Any:
            auth: Auth = g.auth
            context.revocations.revoke(auth.claims)
            log.info("token of account %s revoked (logout)", auth.account_id)
            return ok({})
