"""Loose JSON types as Kazoo takes them (``kz_json_schema:fix_js_types``): a value failing
its type is converted where Kazoo converts it, then validated again; on every resource,
a document whose booleans and numbers are sent as strings is stored with their types."""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import Schema, ValidationError, fields

from callflow import registry
from kazoo_tasks.loose_types import NOT_CONVERTED, to_boolean, to_integer, to_number
from schemas import DOCUMENT_SCHEMAS, kazoo_errors
from schemas.base import SubSchema, boolean, integer
from schemas.menus import MenuSchema
from schemas.temporal_rules import TemporalRuleSchema
from tests.api.kazoo_documents import loosened
from tests.api.samples import SAMPLES
from tests.crossbar import LoggedIn

NOT = "not converted"


def _or_not(value: Any) -> Any:
    return NOT if value is NOT_CONVERTED else value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10", 10),
        ("+10", 10),
        ("-3", -3),
        ("2.5", 3),
        ("-2.5", -3),
        ("2.4", 2),
        ("1.5e2", 150),
        (5.5, 6),
        (5.0, 5),
        ("1e5", NOT),
        (".5", NOT),
        ("5.", NOT),
        (" 5", NOT),
        ("٣", NOT),
        ("1_000", NOT),
        ("ten", NOT),
        (True, NOT),
        (None, NOT),
        ([1], NOT),
        (float("nan"), NOT),
    ],
)
def test_integer_conversions_are_kazoos(value: Any, expected: Any) -> None:
    got = _or_not(to_integer(value))
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("10", 10), ("-1.25", -1.25), ("2.0e1", 20.0), ("1e5", NOT), ("x", NOT), (False, NOT)],
)
def test_number_conversions_are_kazoos(value: Any, expected: Any) -> None:
    got = _or_not(to_number(value))
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("false", False), ("True", NOT), ("yes", NOT), ("1", NOT), (1, NOT)],
)
def test_boolean_conversions_are_kazoos(value: Any, expected: Any) -> None:
    assert _or_not(to_boolean(value)) == expected


def test_given_loose_values_deep_in_a_document_when_loaded_then_converted_and_checked() -> None:
    loaded = MenuSchema().load({"name": "m", "retries": "3", "hunt": "false", "timeout": 2.5})
    assert (loaded["retries"], loaded["hunt"], loaded["timeout"]) == (3, False, 3)
    rule = TemporalRuleSchema().load({"name": "r", "cycle": "monthly", "days": ["1", 15, "31"]})
    assert rule["days"] == [1, 15, 31]
    with pytest.raises(ValidationError) as caught:  # converted, then its range is checked
        MenuSchema().load({"name": "m", "retries": "30", "hunt": "yes"})
    errors = kazoo_errors(caught.value.messages)
    assert set(errors) == {"retries", "hunt"}
    assert set(errors["retries"]) == {"maximum"} and set(errors["hunt"]) == {"type"}


def test_given_loose_values_in_lists_and_maps_when_loaded_then_converted() -> None:
    class Item(SubSchema):
        on = boolean()

    class Doc(SubSchema):
        items = fields.List(fields.Nested(Item))
        many = fields.Nested(Item, many=True)
        counts = fields.Dict(keys=fields.String(), values=integer())

    loaded = Doc().load(
        {"items": [{"on": "true"}], "many": [{"on": "false"}], "counts": {"a": "2", "b": 3}}
    )
    assert loaded == {"items": [{"on": True}], "many": [{"on": False}], "counts": {"a": 2, "b": 3}}


# -- every resource, through the API ---------------------------------------------------


def typed_values(schema: Schema) -> dict[str, Any]:
    """A valid value for each boolean and numeric field of ``schema`` (nested ones too):
    its default, else ``True`` / its minimum / 1."""
    out: dict[str, Any] = {}
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        if isinstance(field, fields.Nested) and not field.many:
            nested = typed_values(field.schema)
            if nested:
                out[key] = nested
        elif isinstance(field, fields.List):
            value = _leaf_value(field.inner)
            if value is not None:
                out[key] = [value]
        else:
            value = _leaf_value(field)
            if value is not None:
                out[key] = value
    return out


def _leaf_value(field: fields.Field) -> Any:
    if not isinstance(field, (fields.Boolean, fields.Number)) or field.dump_only:
        return None
    default = field.load_default
    if default is not fields.missing_ and not callable(default):  # type: ignore[attr-defined]
        return default
    if isinstance(field, fields.Boolean):
        return True
    minimum = next((v.min for v in field.validators if getattr(v, "min", None) is not None), 1)
    return minimum if isinstance(field, fields.Integer) else float(minimum) + 0.5


def assert_typed(stored: Any, expected: Any, path: str = "") -> None:
    """Each value of ``expected`` is in ``stored``, with the same JSON type."""
    if isinstance(expected, dict):
        for key, value in expected.items():
            assert key in stored, f"{path}.{key}"
            assert_typed(stored[key], value, f"{path}.{key}")
        return
    if isinstance(expected, list):
        assert len(stored) == len(expected), path
        for n, (got, value) in enumerate(zip(stored, expected, strict=True)):
            assert_typed(got, value, f"{path}.{n}")
        return
    assert stored == expected and type(stored) is type(expected), (path, stored, expected)


UNTYPED = {"groups", "temporal_rules_sets", "lists"}
"""Resources whose Kazoo schema has no boolean or number."""
IN_FLOW = {
    "callflows": {"flow": {"module": "sleep", "data": {"duration": 5, "skip_module": False}}}
}
"""Typed values of resources that hold them in their module data (loaded by each module)."""


def _strict_document(resource: str, n: int) -> dict[str, Any]:
    schema = DOCUMENT_SCHEMAS[resource]()
    return {**SAMPLES[resource].make(n), **typed_values(schema), **IN_FLOW.get(resource, {})}


@pytest.mark.parametrize("resource", sorted(SAMPLES))
def test_given_a_loose_typed_document_when_created_replaced_or_patched_then_typed(
    root: LoggedIn, resource: str
) -> None:
    base = f"/accounts/{root.id}/{resource}"
    strict = _strict_document(resource, 1)
    typed = {**typed_values(DOCUMENT_SCHEMAS[resource]()), **IN_FLOW.get(resource, {})}
    assert bool(typed) != (resource in UNTYPED), "a resource without typed fields"
    made = root.client.put(base, loosened(strict))
    assert made.status_code == 201, made.text
    doc_id = made.json()["data"]["id"]
    assert_typed(root.client.get(f"{base}/{doc_id}").json()["data"], strict)

    replaced = root.client.post(f"{base}/{doc_id}", loosened(strict))
    assert replaced.status_code == 200, replaced.text
    assert_typed(replaced.json()["data"], strict)
    patched = root.client.patch(f"{base}/{doc_id}", loosened(typed))
    assert patched.status_code == 200, patched.text
    assert_typed(patched.json()["data"], strict)


def test_given_a_loose_typed_account_when_created_then_typed(root: LoggedIn) -> None:
    strict = {"name": "Loose Co", **typed_values(DOCUMENT_SCHEMAS["accounts"]())}
    made = root.client.put(f"/accounts/{root.id}", loosened(strict))
    assert made.status_code == 201, made.text
    assert_typed(made.json()["data"], strict)
    bad = root.client.put(f"/accounts/{root.id}", {"name": "Bad Co", "enabled": "yes"})
    assert bad.status_code == 400 and set(bad.json()["data"]["enabled"]) == {"type"}


# -- callflow module data: the same code as documents --------------------------------


REQUIRED_DATA: dict[str, dict[str, Any]] = {
    "language": {"language": "en-US"},
    "missed_call_alert": {"recipients": [{"type": "email", "id": "ops@example.net"}]},
    "pivot": {"voice_url": "http://pivot.example.com/flow"},
    "page_group": {"endpoints": [{"id": "a" * 32, "delay": 5, "timeout": 30, "weight": 2}]},
    "play": {"id": "a" * 32},
    "ring_group": {"endpoints": [{"id": "a" * 32, "delay": 5, "timeout": 30, "weight": 2}]},
    "ring_group_toggle": {"action": "login", "callflow_id": "b" * 32},
    "send_dtmf": {"digits": "123#"},
    "set_variables": {"custom_application_vars": {"team": "blue"}},
}
"""Valid values of the required fields a module's data needs besides ids (typed values
included: the whole is sent loose)."""


@pytest.mark.parametrize("module", registry.module_names())
def test_given_a_modules_data_with_loose_types_when_loaded_then_typed(module: str) -> None:
    loaded_module = registry.load_module(module)
    assert loaded_module is not None
    schema = loaded_module.data_schema()
    strict = {**typed_values(schema), **REQUIRED_DATA.get(module, {})}
    ids = {  # the other required fields name documents: an id, or a list of ids
        key: ["c" * 32] if isinstance(field, fields.List) else "c" * 32
        for name, field in schema.load_fields.items()
        if field.required and (key := field.data_key or name) not in strict
    }
    expected = schema.load({**ids, **strict})
    assert_typed(schema.load({**ids, **loosened(strict)}), expected)


def test_given_loose_types_in_callflow_module_data_when_saved_then_stored_typed(
    root: LoggedIn,
) -> None:
    flow = {
        "module": "park",
        "data": {"default_ringback_timeout": "10000", "custom_presence_id": "true"},
        "children": {
            "_": {
                "module": "ring_group",
                "data": {
                    "endpoints": [{"id": "a" * 32, "delay": "5", "timeout": "30"}],
                    "timeout": "25",
                    "ignore_forward": "false",
                },
            }
        },
    }
    made = root.client.put(f"/accounts/{root.id}/callflows", {"numbers": ["7001"], "flow": flow})
    assert made.status_code == 201, made.text
    stored = root.client.get(f"/accounts/{root.id}/callflows/{made.json()['data']['id']}")
    park = stored.json()["data"]["flow"]
    assert_typed(park["data"], {"default_ringback_timeout": 10000, "custom_presence_id": True})
    group = park["children"]["_"]["data"]
    assert_typed(group, {"timeout": 25, "ignore_forward": False})
    assert_typed(group["endpoints"][0], {"delay": 5, "timeout": 30})
    bad = root.client.put(
        f"/accounts/{root.id}/callflows",
        {"numbers": ["7002"], "flow": {"module": "ring_group", "data": {
            "endpoints": [], "timeout": "yes", "ignore_forward": "maybe"}}},
    )  # fmt: skip
    assert bad.status_code == 400, bad.text
    assert {"flow.data.timeout", "flow.data.ignore_forward"} <= set(bad.json()["data"])
