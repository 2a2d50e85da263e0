"""Documents built from Kazoo's own JSON schemas (tests/fixtures/kazoo_schemas, copied
from 2600hz/kazoo ``applications/crossbar/priv/couchdb/schemas``): for each resource, a
document with every property Kazoo's schema names, valid for it, and one more document
for each other form the schema allows at some place (each ``oneOf`` / ``anyOf``
alternative, each type of a type list, each ``enum`` value)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).resolve().parents[1] / "fixtures" / "kazoo_schemas"
_OMIT: Any = object()
PATTERN_SAMPLES = {
    "^[0-9]+$": "1234",
    "^[.\\w_-]+$": "kazoo.example.test",
    "^[.\\w-]+$": "kazoo.example.test",
    "^([+@.\\w_-]+)$": "kazoo_user",
}
"""A string matching each pattern Kazoo's schemas of our resources use."""
LONGEST_STRING = 300
FORMAT_SAMPLES = {"email": "kazoo@example.test", "uri": "https://example.test/hook"}


def load_schema(name: str) -> dict[str, Any]:
    """Kazoo's schema ``name`` (its ``_id``: ``devices``, ``callflows.action``...)."""
    return json.loads((SCHEMAS / f"{name}.json").read_text())


@dataclass
class _Build:
    """One walk of a schema: the alternative chosen at each place, the places seen."""

    choices: dict[str, int]
    longest: bool = False
    """Strings as long as Kazoo allows (300 characters when it sets no limit), numbers
    at their maximum."""
    places: dict[str, int] = field(default_factory=dict)
    forms: set[str] = field(default_factory=set)
    """Places of alternative forms (``oneOf``, ``anyOf``, type lists), not enums."""

    def choose(self, path: str, count: int, form: bool = True) -> int:
        self.places[path] = count
        if form:
            self.forms.add(path)
        return self.choices.get(path, 0)


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = load_schema(schema["$ref"])
    return schema


def _value(schema: dict[str, Any], path: str, build: _Build) -> Any:
    schema = _resolve(schema)
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    if alternatives:
        chosen = alternatives[build.choose(path, len(alternatives))]
        rest = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
        return _value({**rest, **_resolve(chosen)}, path, build)
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        return _value({**schema, "type": kinds[build.choose(path, len(kinds))]}, path, build)
    if "enum" in schema:
        values = [v for v in schema["enum"] if v is not None]
        # keyed apart: an enum may be one alternative of a oneOf at the same place
        return copy.deepcopy(values[build.choose(f"{path}#enum", len(values), form=False)])
    if kind == "object" or "properties" in schema:
        return _object(schema, path, build)
    if kind == "array":
        items = schema.get("items", {})
        item = _value(items, f"{path}.0", build) if isinstance(items, dict) else _OMIT
        return [] if item is _OMIT else [item] * max(1, schema.get("minItems", 1))
    if "default" in schema and not build.longest:
        return copy.deepcopy(schema["default"])
    return _scalar(schema, kind, build.longest)


def _object(schema: dict[str, Any], path: str, build: _Build) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, sub in schema.get("properties", {}).items():
        value = _value(sub, f"{path}.{key}" if path else key, build)
        if value is not _OMIT:
            out[key] = value
    return out


def _scalar(schema: dict[str, Any], kind: Any, longest: bool) -> Any:
    if kind == "string":
        if schema.get("pattern") in PATTERN_SAMPLES:
            return PATTERN_SAMPLES[schema["pattern"]]
        if schema.get("format") in FORMAT_SAMPLES:
            return FORMAT_SAMPLES[schema["format"]]
        most = schema.get("maxLength", LONGEST_STRING if longest else 8)
        length = max(schema.get("minLength", 1), most if longest else min(most, 8))
        return ("kazoo" + "x" * length)[:length]
    if kind in ("integer", "number"):
        low = schema.get("minimum", 1)
        high = schema.get("maximum", low)
        if longest and "maximum" in schema:
            return high
        return min(max(low, 1), high) if kind == "integer" else min(max(low, 1), high) + 0.5
    if kind == "boolean":
        return True
    return _OMIT  # untyped: nothing to build


def alternative_forms(name: str) -> set[str]:
    """The places of Kazoo's schema ``name`` that take several forms (``oneOf``, ``anyOf``,
    type lists): there Kazoo converts no loose type (one of the forms, often a string,
    takes the value as sent)."""
    build = _Build({})
    _value(load_schema(name), "", build)
    return build.forms


def documents(name: str, overrides: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``(label, document)`` for Kazoo's schema ``name``: ``base`` (first form everywhere),
    then ``<path>=<n>`` for the n-th form allowed at each place, and ``longest`` (every
    string and number at Kazoo's limits). ``overrides``: top-level values that must name
    real things (a callflow's module)."""
    schema = load_schema(name)
    first = _Build({})
    base = {**_value(schema, "", first), **overrides}
    longest = {**_value(schema, "", _Build({}, longest=True)), **overrides}
    built = [("base", base), ("longest", longest)]
    for path, count in sorted(first.places.items()):
        if path.split(".")[0] in overrides:
            continue
        for choice in range(1, count):
            build = _Build({path: choice})
            built.append((f"{path}={choice}", {**_value(schema, "", build), **overrides}))
    return built


def loosened(value: Any) -> Any:
    """``value`` with every boolean and number written as a string (Kazoo's loose form)."""
    if isinstance(value, dict):
        return {key: loosened(item) for key, item in value.items()}
    if isinstance(value, list):
        return [loosened(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value
