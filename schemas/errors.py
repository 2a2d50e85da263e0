"""marshmallow errors in Kazoo's shape: ``{"field.path": {"rule": {"message": ...}}}``."""

from __future__ import annotations

from typing import Any

from kazoo_tasks.rule_messages import RuleMessage

_RULE_OF_MESSAGE = {
    "Missing data for required field.": "required",
    "Field may not be null.": "type",
    "Unknown field.": "additionalProperties",
}


def rule_of(message: str) -> str:
    """The Kazoo rule a marshmallow message reports."""
    if isinstance(message, RuleMessage):
        return message.rule
    if message in _RULE_OF_MESSAGE:
        return _RULE_OF_MESSAGE[message]
    if message.startswith("Not a valid") or message == "Invalid type.":
        return "type"
    return "invalid"


def kazoo_errors(messages: Any, prefix: str = "") -> dict[str, dict[str, dict[str, Any]]]:
    """Flatten marshmallow's nested error messages into Kazoo's error ``data``."""
    flat: dict[str, dict[str, dict[str, Any]]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = str(key) if key != "_schema" else ""
            joined = f"{prefix}.{path}" if prefix and path else (prefix or path)
            for field, rules in kazoo_errors(value, joined).items():
                flat.setdefault(field, {}).update(rules)
        return flat
    for message in messages if isinstance(messages, list) else [messages]:
        if isinstance(message, (dict, list)):
            for field, rules in kazoo_errors(message, prefix).items():
                flat.setdefault(field, {}).update(rules)
            continue
        entry: dict[str, Any] = {"message": str(message)}
        if isinstance(message, RuleMessage):
            entry.update(message.extra)
        flat.setdefault(prefix or "data", {})[rule_of(message)] = entry
    return flat
