"""The marshmallow schemas on their own: Kazoo's defaults, strict JSON types, rule names,
and the JSON-schema models made from them."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from marshmallow import ValidationError

from schemas import DOCUMENT_SCHEMAS, kazoo_errors
from schemas.jsonschema import object_schema
from schemas.queues import QueueSchema
from schemas.users import UserSchema
from schemas.vmboxes import VmboxSchema

MINIMAL: dict[str, dict[str, Any]] = {
    "accounts": {"name": "a"},
    "users": {"first_name": "f", "last_name": "l"},
    "devices": {"name": "d"},
    "callflows": {"flow": {"module": "test_say", "data": {"text": "t"}}},
    "vmboxes": {"name": "v", "mailbox": "1"},
    "media": {"name": "m"},
    "menus": {"name": "m"},
    "temporal_rules": {"name": "t", "cycle": "daily"},
    "temporal_rules_sets": {"name": "s"},
    "groups": {"name": "g", "endpoints": {}},
    "conferences": {},
    "queues": {"name": "q"},
    "webhooks": {"name": "w", "uri": "https://x.test/", "hook": "all"},
    "cdrs": {"call_id": "c"},
    "directories": {"name": "d"},
    "resources": {"name": "r", "gateways": []},
    "lists": {"name": "l"},
    "list_entries": {"list_id": "l"},
    "functions": {"name": "f", "function_js": "return null;"},
}


def _errors(schema: Any, data: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ValidationError) as caught:
        schema().load(data)
    return kazoo_errors(caught.value.messages)


@pytest.mark.parametrize("name", sorted(DOCUMENT_SCHEMAS))
def test_given_a_minimal_document_when_loaded_then_it_validates(name: str) -> None:
    DOCUMENT_SCHEMAS[name]().load(MINIMAL[name])


def test_given_a_minimal_document_when_loaded_then_kazoo_defaults_are_filled() -> None:
    box = VmboxSchema().load(MINIMAL["vmboxes"])
    assert box["media_extension"] == "mp3" and box["seek_duration_ms"] == 10000
    assert box["notify_email_addresses"] == [] and box["check_if_owner"] is True
    queue = QueueSchema().load(MINIMAL["queues"])
    assert (queue["strategy"], queue["caller_exit_key"], queue["agent_ring_timeout"]) == (
        "round_robin",
        "#",
        15,
    )
    user = UserSchema().load(MINIMAL["users"])
    assert user["priv_level"] == "user" and user["vm_to_email_enabled"] is True


def test_given_strings_kazoo_does_not_convert_when_loaded_then_refused() -> None:
    errors = _errors(
        VmboxSchema,
        {"name": "v", "mailbox": "1", "seek_duration_ms": "5 s", "transcribe": "yes", "pin": 1234},
    )
    assert set(errors["seek_duration_ms"]) == {"type"}
    assert set(errors["transcribe"]) == {"type"}
    assert set(errors["pin"]) == {"type"}  # Kazoo converts to numbers and booleans only


def test_given_agent_fields_on_a_user_when_bad_then_the_item_is_named() -> None:
    errors = _errors(
        UserSchema, {**MINIMAL["users"], "queues": ["q" * 32, "short"], "acdc_agent_priority": 500}
    )
    assert set(errors) == {"queues.1", "acdc_agent_priority"}
    assert errors["queues.1"]["minLength"]["target"] == 32


def test_given_private_and_couch_keys_when_loaded_then_dropped() -> None:
    loaded = UserSchema().load({**MINIMAL["users"], "pvt_x": 1, "_rev": "1-a", "id": "z"})
    assert not {"pvt_x", "_rev", "id"} & set(loaded)


@pytest.mark.parametrize("name", sorted(DOCUMENT_SCHEMAS))
def test_given_each_schema_when_converted_then_json_schema_and_marshmallow_agree(
    name: str,
) -> None:
    schema = object_schema(DOCUMENT_SCHEMAS[name])
    schema["definitions"] = {"CallflowNode": {"type": "object"}}
    jsonschema.validate(MINIMAL[name], schema)
    strings = [key for key, prop in schema["properties"].items() if prop.get("type") == "string"]
    assert strings
    for key in strings:
        wrong = {**MINIMAL[name], key: 5}
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(wrong, schema)
        with pytest.raises(ValidationError):
            DOCUMENT_SCHEMAS[name]().load(wrong)
