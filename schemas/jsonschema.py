"""marshmallow schema -> JSON schema (the Swagger 2.0 subset), so the API's models come
from the same schemas that validate documents: the spec cannot drift from validation."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from callflow import registry
from schemas.base import Alternatives
from schemas.callflows import FlowNode

FLOW_NODE_DEFINITION = "CallflowNode"


def _default_of(field: fields.Field) -> Any:
    default = field.load_default
    if default is fields.missing_:  # type: ignore[attr-defined]
        return fields.missing_  # type: ignore[attr-defined]
    return default() if callable(default) else default


def _apply_validators(field: fields.Field, out: dict[str, Any]) -> None:
    for validator in field.validators:
        if isinstance(validator, validate.Length):
            is_list = isinstance(field, fields.List)
            if validator.min is not None:
                out["minItems" if is_list else "minLength"] = validator.min
            if validator.max is not None:
                out["maxItems" if is_list else "maxLength"] = validator.max
        elif isinstance(validator, validate.Range):
            if validator.min is not None:
                out["minimum"] = validator.min
            if validator.max is not None:
                out["maximum"] = validator.max
        elif isinstance(validator, validate.OneOf):
            out["enum"] = list(validator.choices)
        elif isinstance(validator, validate.Regexp):
            out["pattern"] = validator.regex.pattern


def field_schema(field: fields.Field, ref_prefix: str) -> dict[str, Any]:
    """The JSON schema of one marshmallow field."""
    out: dict[str, Any]
    if isinstance(field, FlowNode):
        out = {"$ref": f"{ref_prefix}{FLOW_NODE_DEFINITION}"}
        return out
    if isinstance(field, Alternatives):
        # Swagger 2.0 has no oneOf: the forms go in an extension, the value is untyped
        out = {"x-oneOf": [field_schema(form, ref_prefix) for form in field.forms]}
    elif isinstance(field, fields.Nested):
        nested = field.nested
        nested_schema = nested if isinstance(nested, Schema) else nested()  # type: ignore[operator]
        out = object_schema(type(nested_schema), ref_prefix=ref_prefix)
    elif isinstance(field, fields.List):
        out = {"type": "array", "items": field_schema(field.inner, ref_prefix)}
    elif isinstance(field, fields.Dict):
        out = {"type": "object"}
    elif isinstance(field, fields.Boolean):
        out = {"type": "boolean"}
    elif isinstance(field, fields.Integer):
        out = {"type": "integer"}
    elif isinstance(field, fields.Number):
        out = {"type": "number"}
    elif isinstance(field, fields.String):
        out = {"type": "string"}
    else:
        out = {}
    _apply_validators(field, out)
    description = field.metadata.get("description")
    if description:
        out["description"] = description
    default = _default_of(field)
    if default is not fields.missing_:  # type: ignore[attr-defined]
        out["default"] = default
    if field.dump_only:
        out["readOnly"] = True
    return out


def object_schema(
    schema: type[Schema], *, partial: bool = False, ref_prefix: str = "#/definitions/"
) -> dict[str, Any]:
    """The JSON schema of a marshmallow schema; ``partial`` drops ``required`` and defaults."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, field in schema().fields.items():
        key = field.data_key or name
        prop = field_schema(field, ref_prefix)
        if partial:
            prop.pop("default", None)
        properties[key] = prop
        if field.required and not partial:
            required.append(key)
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = sorted(required)
    return out


def flow_node_schema(ref_prefix: str = "#/definitions/") -> dict[str, Any]:
    """The recursive definition of a callflow node, listing the registered modules."""
    module: dict[str, Any] = {
        "type": "string",
        "minLength": 1,
        "maxLength": 64,
        "description": "A registered callflow module",
    }
    modules = registry.module_names()
    if modules:
        module["enum"] = modules
    return {
        "type": "object",
        "required": ["module"],
        "properties": {
            "module": module,
            "data": {
                "type": "object",
                "default": {},
                "description": "Arguments of the module, validated by its data schema",
            },
            "children": {
                "type": "object",
                "description": "Branches: key (`_`, a digit, `match`...) -> node",
                "additionalProperties": {"$ref": f"{ref_prefix}{FLOW_NODE_DEFINITION}"},
            },
        },
    }
