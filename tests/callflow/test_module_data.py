"""Module data schemas refuse what could reach the switch as an injection."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from callflow.registry import load_module, module_names
from kazoo_tasks.commands import sanitize_text

SHIPPED = ["answer", "callflow", "hangup", "play", "response", "say", "set", "sleep", "tts"]


def test_given_the_package_when_modules_are_listed_then_every_shipped_module_loads_by_name():
    assert set(SHIPPED) <= set(module_names())
    assert all(load_module(name) is not None for name in SHIPPED)
    assert load_module("no_such_module") is None


@pytest.mark.parametrize(
    ("module", "data", "field"),
    [
        ("play", {"id": "file:///etc/passwd"}, "id"),
        ("play", {"id": "tone_stream://x\nsendmsg"}, "id"),
        ("play", {}, "id"),
        ("set", {"custom_channel_vars": {"x": "${system(id)}"}}, "custom_channel_vars"),
        ("set", {"custom_channel_vars": {"api_hangup_hook=": "x"}}, "custom_channel_vars"),
        ("tts", {"text": "hi\r\nexecute-app-name: system"}, "text"),
        ("response", {"code": 200}, "code"),
        ("response", {"message": "Busy\nX: y"}, "message"),
        ("hangup", {"hangup_cause": "normal clearing"}, "hangup_cause"),
        ("sleep", {"duration": -1}, "duration"),
    ],
)
def test_given_dangerous_or_invalid_data_when_loaded_then_the_schema_names_the_field(
    module, data, field
):
    with pytest.raises(ValidationError) as raised:
        load_module(module).data_schema().load(data)
    assert field in raised.value.messages


def test_given_caller_text_with_line_breaks_and_expansions_when_sanitized_then_neither_survives():
    text = sanitize_text("Eve\r\nexecute-app-name: system ${system(rm -rf /)}\x00")
    assert "\n" not in text and "\r" not in text and "\x00" not in text
    assert "${" not in text
