"""``/v2/accounts/{account_id}/phone_numbers``: the account's numbers (GET: Kazoo's
``{"numbers": {...}}`` map), one number (``/{number}``: PUT adds it, GET, POST replaces
its public fields, PATCH merges them, DELETE takes it from the account) and several at
once (``/collection``: the same verbs with ``{"numbers": [...]}``); Kazoo's state moves
(``/{number}/reserve``, ``/port``, ``/activate``), ``/{number}/identify`` and the number
classifiers (``/classifiers``, ``/classifiers/{number}``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_restx import Resource

from api.accounts.service import AccountService
from api.context import ApiContext
from api.crud import ACCOUNT_ID_PARAM, SCOPED
from api.http import ok, request_data
from api.phone_numbers.classifiers import all_classifiers, classify_number
from api.phone_numbers.service import IN_SERVICE, PhoneNumbers
from api.swagger import ErrorDocs, SharedModels, add_model, body_models, envelope
from schemas.phone_numbers import PhoneNumberSchema

NUMBER_PARAM = {"description": "The number, E.164 (+14155550100; URL-encode the +)"}
STATE_MOVES = {"reserve": "reserved", "port": "port_in", "activate": IN_SERVICE}
"""Kazoo's ``PUT phone_numbers/{number}/<move>`` and the state each puts the number in."""


def register(api: Any, context: ApiContext, shared: SharedModels) -> None:
    """Add the phone numbers routes."""
    ns = api.namespace(
        "phone_numbers",
        path="/accounts/<account_id>/phone_numbers",
        description="The phone numbers of an account",
    )
    numbers = PhoneNumbers(context.store)
    number = body_models(api, "PhoneNumber", PhoneNumberSchema, required=False)
    listing = add_model(
        api,
        "PhoneNumbersEnvelope",
        envelope({
            "type": "object",
            "properties": {"numbers": {"type": "object"}, "cascade_quantity": {"type": "integer"}},
        }),
    )  # fmt: skip
    collection_body = add_model(
        api,
        "PhoneNumbersCollectionRequest",
        {
            "type": "object",
            "required": ["data"],
            "properties": {
                "data": {
                    "type": "object",
                    "required": ["numbers"],
                    "properties": {"numbers": {"type": "array", "items": {"type": "string"}}},
                }
            },
        },
    )
    outcome = add_model(
        api,
        "PhoneNumbersCollectionEnvelope",
        envelope({
            "type": "object",
            "properties": {"success": {"type": "object"}, "error": {"type": "object"}},
        }),
    )  # fmt: skip
    errors = ErrorDocs(ns, shared.error)
    verbs: dict[str, Callable[[str, str, Any], Any]] = {
        "put": lambda account_id, number, data: numbers.add(account_id, number, data),
        "post": lambda account_id, number, data: numbers.replace(account_id, number, data),
        "patch": lambda account_id, number, data: numbers.patch(account_id, number, data),
        "delete": lambda account_id, number, _: numbers.remove(account_id, number),
    }

    @ns.route("")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM})
    @errors(401, 403)
    class Numbers(Resource):
        method_decorators = SCOPED

        @ns.doc("list_phone_numbers")
        @ns.response(200, "The account's numbers", listing)
        def get(self, account_id: str) -> Any:
            found = numbers.list(account_id)
            return ok({"numbers": found, "cascade_quantity": 0}, extra={"page_size": len(found)})

    def collection(verb: str) -> Callable[..., Any]:
        @ns.doc(f"{verb}_phone_numbers_collection")
        @ns.expect(collection_body, validate=False)
        @ns.response(200, "Each number's outcome", outcome)
        @errors(400)
        def method(self: Resource, account_id: str) -> Any:
            data = request_data()
            listed = data.get("numbers") if isinstance(data, dict) else None
            public = {k: v for k, v in data.items() if k != "numbers"} if listed else {}
            apply = verbs[verb]
            return ok(numbers.each(listed, lambda number: apply(account_id, number, public)))

        return method

    @ns.route("/collection")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM})
    @errors(401, 403)
    class Collection(Resource):
        method_decorators = SCOPED
        put = collection("put")
        post = collection("post")
        patch = collection("patch")
        delete = collection("delete")

    def single(verb: str, answer: str) -> Callable[..., Any]:
        @ns.doc(f"{verb}_phone_number")
        @ns.expect(number.request, validate=False)
        @ns.response(201 if verb == "put" else 200, answer, number.envelope)
        @errors(400, 404, 409)
        def method(self: Resource, account_id: str, number: str) -> Any:
            view = verbs[verb](account_id, number, request_data())
            return ok(view, code=201 if verb == "put" else 200)

        return method

    @ns.route("/<number>")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM, "number": NUMBER_PARAM})
    @errors(401, 403)
    class Number(Resource):
        method_decorators = SCOPED

        @ns.doc("get_phone_number")
        @ns.response(200, "The number", number.envelope)
        @errors(404)
        def get(self, account_id: str, number: str) -> Any:
            return ok(numbers.read(account_id, number))

        put = single("put", "Added to the account")
        post = single("post", "Public fields replaced")
        patch = single("patch", "Public fields merged")
        delete = single("delete", "Taken from the account (state available)")

    object_envelope = add_model(api, "PhoneNumbersObjectEnvelope", envelope({"type": "object"}))

    def state_move(move: str) -> type[Resource]:
        """The resource of ``PUT /{number}/<move>``."""

        @ns.doc(f"{move}_phone_number")
        @ns.expect(number.request, validate=False)
        @ns.response(201, f"The number, state {STATE_MOVES[move]}", number.envelope)
        @errors(400, 404, 409)
        def put(self: Resource, account_id: str, number: str) -> Any:
            view = numbers.move_to(account_id, number, STATE_MOVES[move], request_data())
            return ok(view, code=201)

        resource = type(
            f"Number{move.title()}", (Resource,), {"method_decorators": SCOPED, "put": put}
        )
        return errors(401, 403)(resource)

    for move in STATE_MOVES:
        ns.route(f"/<number>/{move}")(
            ns.doc(params={"account_id": ACCOUNT_ID_PARAM, "number": NUMBER_PARAM})(
                state_move(move)
            )
        )

    accounts = AccountService(context.store)

    @ns.route("/<number>/identify")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM, "number": NUMBER_PARAM})
    @errors(401, 403)
    class Identify(Resource):
        method_decorators = SCOPED

        @ns.doc("identify_phone_number")
        @ns.response(200, "The account holding the number", object_envelope)
        @errors(400, 404)
        def get(self, account_id: str, number: str) -> Any:
            def reached(owner: str) -> bool:
                found = accounts.lookup(owner)
                return found is not None and (
                    owner == account_id or account_id in found.get("pvt_tree", [])
                )

            return ok(numbers.identify(reached, number))

    @ns.route("/classifiers")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM})
    @errors(401, 403)
    class Classifiers(Resource):
        method_decorators = SCOPED

        @ns.doc("list_phone_number_classifiers")
        @ns.response(200, "Kazoo's number classifiers, by name", object_envelope)
        def get(self, account_id: str) -> Any:
            return ok(all_classifiers())

    @ns.route("/classifiers/<number>")
    @ns.doc(params={"account_id": ACCOUNT_ID_PARAM, "number": NUMBER_PARAM})
    @errors(401, 403)
    class Classify(Resource):
        method_decorators = SCOPED

        @ns.doc("classify_phone_number")
        @ns.response(200, "The number's classifier", object_envelope)
        def get(self, account_id: str, number: str) -> Any:
            return ok(classify_number(number))
