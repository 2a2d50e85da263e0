"""API models generated from the marshmallow schemas (one source of truth).

Each resource gets, from its document schema: the document model, a partial model for
PATCH, a summary model for lists, and the Kazoo envelopes around them. They are
registered as flask-restx schema models, so ``/v2/swagger.json`` describes exactly what
validation accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask_restx import Api, Namespace
from flask_restx.model import SchemaModel

from api.documents import ResourceSpec
from schemas.jsonschema import FLOW_NODE_DEFINITION, flow_node_schema, object_schema

REF = "#/definitions/"

T = TypeVar("T")

ERROR_ANSWERS: dict[int, str] = {
    400: "Validation error",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    409: "Stale revision",
}
"""The usual description of each error answer in the API docs."""


class LinkedSchemaModel(SchemaModel):
    """A JSON-schema model whose ``$ref`` targets are registered with it in the spec."""

    def __init__(self, name: str, schema: dict[str, Any], links: list[SchemaModel]) -> None:
        super().__init__(name, schema)
        self.__parents__ = links  # registered alongside; never rendered as allOf

    @property
    def __schema__(self) -> dict[str, Any]:
        return self._schema


def ref(model: SchemaModel) -> dict[str, str]:
    """A ``$ref`` to a registered model."""
    return {"$ref": f"{REF}{model.name}"}


def add_model(
    api: Api, name: str, schema: dict[str, Any], links: list[SchemaModel] | None = None
) -> SchemaModel:
    """Register a JSON-schema model (and the models it refers to)."""
    model = LinkedSchemaModel(name, schema, links or [])
    api.models[name] = model
    return model


_ENVELOPE_FIELDS: dict[str, Any] = {
    "request_id": {"type": "string"},
    "auth_token": {"type": "string"},
    "revision": {"type": "string"},
    "timestamp": {"type": "string"},
    "version": {"type": "string", "description": "The Kazoo version whose API this matches"},
    "kazoo_tasks_version": {"type": "string", "description": "kazoo-tasks' own version"},
    "node": {"type": "string"},
}


def envelope(data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Kazoo's success envelope around ``data``."""
    return {
        "type": "object",
        "required": ["data", "status"],
        "properties": {
            "data": data,
            "status": {"type": "string", "enum": ["success"]},
            **_ENVELOPE_FIELDS,
            **extra,
        },
    }


PAGING_FIELDS: dict[str, Any] = {
    "page_size": {"type": "integer", "description": "Entries in this page"},
    "start_key": {"type": "string", "description": "Key this page started at"},
    "next_start_key": {"type": "string", "description": "Pass as start_key for the next page"},
}


@dataclass(frozen=True)
class SharedModels:
    """Models every resource refers to."""

    error: SchemaModel
    flow_node: SchemaModel


def shared_models(api: Api) -> SharedModels:
    """Register the error envelope and the recursive callflow node."""
    error = add_model(
        api,
        "ErrorEnvelope",
        {
            "type": "object",
            "required": ["error", "message", "status"],
            "properties": {
                "status": {"type": "string", "enum": ["error"]},
                "error": {"type": "string", "description": "HTTP status code"},
                "message": {"type": "string", "description": "Error name"},
                "data": {
                    "type": "object",
                    "description": "field path -> rule -> {message}, or {message}",
                },
                **_ENVELOPE_FIELDS,
            },
        },
    )
    flow_node = add_model(api, FLOW_NODE_DEFINITION, flow_node_schema(REF))
    return SharedModels(error=error, flow_node=flow_node)


@dataclass(frozen=True)
class DocModels:
    """The models of one resource."""

    document: SchemaModel
    request: SchemaModel
    patch_request: SchemaModel
    envelope: SchemaModel
    list_envelope: SchemaModel


def document_models(
    api: Api, spec: ResourceSpec, shared: SharedModels, example: dict[str, Any] | None
) -> DocModels:
    """Register the models of a resource from its marshmallow schema."""
    title = spec.title
    links = [shared.flow_node]
    full = object_schema(spec.schema, ref_prefix=REF)
    full["properties"]["id"] = {"type": "string", "readOnly": True, "description": "Id"}
    document = add_model(api, title, full, links)
    partial = object_schema(spec.schema, partial=True, ref_prefix=REF)
    patch_doc = add_model(api, f"{title}Patch", partial, links)
    summary_props = {"id": {"type": "string"}}
    summary_props.update(
        {name: full["properties"][name] for name in spec.summary if name in full["properties"]}
    )
    summary = add_model(api, f"{title}Summary", {"type": "object", "properties": summary_props})
    request_schema: dict[str, Any] = {
        "type": "object",
        "required": ["data"],
        "properties": {"data": ref(document)},
    }
    if example is not None:
        request_schema["example"] = {"data": example}
    request = add_model(api, f"{title}Request", request_schema, [document])
    patch_request = add_model(
        api,
        f"{title}PatchRequest",
        {"type": "object", "required": ["data"], "properties": {"data": ref(patch_doc)}},
        [patch_doc],
    )
    single = add_model(api, f"{title}Envelope", envelope(ref(document)), [document])
    listing = add_model(
        api,
        f"{title}ListEnvelope",
        envelope({"type": "array", "items": ref(summary)}, **PAGING_FIELDS),
        [summary],
    )
    return DocModels(document, request, patch_request, single, listing)


@dataclass(frozen=True)
class ViewModels:
    """The models of a read-only view of live data (never stored): one entry, and the
    list envelope that carries them."""

    item: SchemaModel
    listing: SchemaModel


def view_models(api: Api, title: str, schema: type) -> ViewModels:
    """Register the models of a live view from the marshmallow schema of its entries."""
    item = add_model(api, title, object_schema(schema, ref_prefix=REF))
    listing = add_model(
        api,
        f"{title}ListEnvelope",
        envelope({"type": "array", "items": ref(item)}, page_size={"type": "integer"}),
        [item],
    )
    return ViewModels(item, listing)


@dataclass(frozen=True)
class BodyModels:
    """The models of an object sent and answered whole (limits, metaflows, a number):
    the object, the request carrying it as ``data`` and the envelope answering it."""

    model: SchemaModel
    request: SchemaModel
    envelope: SchemaModel


def body_models(api: Api, title: str, schema: type, *, required: bool = True) -> BodyModels:
    """Register the :class:`BodyModels` of the marshmallow schema ``schema`` (``required``:
    whether a request must carry ``data``)."""
    model = add_model(api, title, object_schema(schema, ref_prefix=REF))
    request: dict[str, Any] = {"type": "object", "properties": {"data": ref(model)}}
    if required:
        request["required"] = ["data"]
    return BodyModels(
        model,
        add_model(api, f"{title}Request", request, [model]),
        add_model(api, f"{title}Envelope", envelope(ref(model)), [model]),
    )


@dataclass(frozen=True)
class ErrorDocs:
    """Documents the error answers of one namespace's resources, all with one error model:
    ``@errors(401, 403, (404, "No such box"))`` on a resource class or method."""

    namespace: Namespace
    model: SchemaModel

    def __call__(self, *answers: int | tuple[int, str]) -> Callable[[T], T]:
        """A decorator documenting each answer: a code (with its usual description from
        :data:`ERROR_ANSWERS`) or a ``(code, description)`` pair."""

        def decorate(target: T) -> T:
            for answer in answers:
                code, description = (
                    answer if isinstance(answer, tuple) else (answer, ERROR_ANSWERS[answer])
                )
                target = self.namespace.response(code, description, self.model)(target)
            return target

        return decorate
