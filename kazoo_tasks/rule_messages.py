"""Validation messages that name the rule they report, the way Kazoo reports errors
(``{"<field.path>": {"<rule>": {"message": ...}}}``): the lowest layer of validation,
shared by the document schemas (:mod:`schemas.rules`) and the engine's flow validation
(:mod:`callflow.flow_tree`)."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError


class RuleMessage(str):
    """An error message that carries the name of the rule it reports."""

    rule: str
    extra: dict[str, Any]

    def __new__(cls, rule: str, text: str, **extra: Any) -> RuleMessage:
        message = super().__new__(cls, text)
        message.rule = rule
        message.extra = extra
        return message


def fail(rule: str, text: str, **extra: Any) -> ValidationError:
    """A ValidationError whose message names ``rule`` (raise it)."""
    return ValidationError(RuleMessage(rule, text, **extra))
