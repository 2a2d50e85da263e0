"""Kazoo's loose JSON types (``kz_json_schema:fix_js_types``): when a value fails its type,
it is converted where Kazoo would convert it, and the document is validated again.

Kazoo converts only to the three types below, exactly as ``kz_term`` does:

* integer: a float is rounded (half away from zero), a string of an integer is read
  (``"10"``, ``"+10"``, ``"-3"``), a string of a float is read and rounded (``"2.5"`` → 3);
* number: a string of an integer or of a float (Erlang's syntax: digits, a dot, digits,
  an optional exponent: ``"1.5"``, ``"-2.0e3"``; not ``"1e5"``, ``".5"`` or ``"5."``);
* boolean: ``"true"`` and ``"false"`` only.

Anything else (``"yes"``, ``1`` for a boolean, ``true`` for an integer, a number for a
string) stays an error. :func:`fix_js_types` finds the values to convert from the errors
of a load, as Kazoo finds them from its schema errors; :class:`LooseSchema` loads that
way. Every API document schema (``schemas.base.SubSchema``) and every callflow module's
data schema (``callflow.module.ModuleData``) is one, so a value Kazoo takes is taken
the same way whether it is in a document or in a callflow node's data.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields

_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_FLOAT = re.compile(r"[+-]?[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?", re.ASCII)
NOT_CONVERTED: Any = object()
"""What the ``to_*`` functions return for a value Kazoo does not convert."""


def _round(value: float) -> int:
    """Erlang's ``round/1``: half away from zero."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def to_integer(value: Any) -> Any:
    """``value`` as Kazoo converts it to an integer (the marker when it does not)."""
    if isinstance(value, float) and math.isfinite(value):
        return _round(value)
    if isinstance(value, str):
        if _INTEGER.fullmatch(value):
            return int(value)
        if _FLOAT.fullmatch(value) and math.isfinite(float(value)):
            return _round(float(value))
    return NOT_CONVERTED


def to_number(value: Any) -> Any:
    """``value`` as Kazoo converts it to a number (the marker when it does not)."""
    if isinstance(value, str):
        if _INTEGER.fullmatch(value):
            return int(value)
        if _FLOAT.fullmatch(value) and math.isfinite(float(value)):
            return float(value)
    return NOT_CONVERTED


def to_boolean(value: Any) -> Any:
    """``value`` as Kazoo converts it to a boolean (the marker when it does not)."""
    if value == "true" or value == "false":
        return value == "true"
    return NOT_CONVERTED


def converted(field: fields.Field, value: Any) -> Any:
    """``value`` converted to ``field``'s type as Kazoo would (the marker when not)."""
    if isinstance(field, fields.Boolean):
        return to_boolean(value)
    if isinstance(field, fields.Integer):
        return to_integer(value)
    if isinstance(field, fields.Number):
        return to_number(value)
    return NOT_CONVERTED


def fix_js_types(schema: Schema, data: Any, errors: Any) -> Any | None:
    """A copy of ``data`` whose wrongly typed values (found from the ``errors`` of loading
    it with ``schema``) are converted as Kazoo converts them; None when none converts."""
    fixed = copy.deepcopy(data)
    return fixed if _fix_object(schema, fixed, errors) else None


def _fix_object(schema: Schema, data: Any, errors: Any) -> bool:
    """Convert, in place, the values of the object ``data`` that ``errors`` point at."""
    if not isinstance(data, dict) or not isinstance(errors, Mapping):
        return False
    by_key = {field.data_key or name: field for name, field in schema.load_fields.items()}
    changed = False
    for key, error in errors.items():
        field = by_key.get(key)
        if field is not None and key in data:
            changed |= _fix_value(field, data, key, error)
    return changed


def _fix_value(field: fields.Field, parent: Any, key: Any, error: Any) -> bool:
    """Convert, in place, ``parent[key]`` (loaded by ``field``) where ``error`` points."""
    value = parent[key]
    if isinstance(field, fields.Nested):
        schema = field.schema
        if field.many:
            return any([_fix_object(schema, value[i], sub) for i, sub in _items(value, error)])
        return _fix_object(schema, value, error)
    if isinstance(field, fields.List):
        return any([_fix_value(field.inner, value, i, sub) for i, sub in _items(value, error)])
    if isinstance(field, fields.Dict):
        if field.value_field is None or not isinstance(value, dict):
            return False
        return any(
            [
                _fix_value(field.value_field, value, k, sub["value"])
                for k, sub in _entries(error)
                if k in value and "value" in sub
            ]
        )
    new = converted(field, value)
    if new is NOT_CONVERTED:
        return False
    parent[key] = new
    return True


def _entries(errors: Any) -> list[tuple[Any, Any]]:
    """The (key, error) pairs of a nested error (none when it is a plain message list)."""
    if not isinstance(errors, Mapping):
        return []
    return [(key, sub) for key, sub in errors.items() if isinstance(sub, (Mapping, list))]


def _items(items: Any, errors: Any) -> list[tuple[int, Any]]:
    """The (index, error) pairs of a list's errors that index ``items``."""
    if not isinstance(items, list):
        return []
    return [
        (index, sub)
        for index, sub in _entries(errors)
        if isinstance(index, int) and 0 <= index < len(items)
    ]


class LooseSchema(Schema):
    """A schema that takes loose types as Kazoo does: a value failing its type is converted
    where Kazoo's ``fix_js_types`` converts it (``"10"`` for an integer, ``"true"`` for a
    boolean...), then the whole is validated again."""

    def load(self, data: Any, **kwargs: Any) -> Any:
        """Load ``data``; on errors, convert what Kazoo converts and load again. Each pass
        gives at least one wrongly typed value its type, so the passes end. (A list of
        objects, ``many``, is fixed by the schema that nests it.)"""
        while True:
            try:
                return super().load(data, **kwargs)
            except ValidationError as error:
                fixed = fix_js_types(self, data, error.messages)
                if fixed is None:
                    raise
                data = fixed
