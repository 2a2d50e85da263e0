"""Validators that name the rule they enforce, the way Kazoo reports validation errors.

Kazoo answers a bad document with ``data = {"<field.path>": {"<rule>": {"message": ...}}}``
where the rule is a JSON-schema keyword (``required``, ``type``, ``minLength``, ``enum``,
...) or one of its own (``unique``). marshmallow error messages are plain strings, so each
validator here raises a :class:`kazoo_tasks.rule_messages.RuleMessage`: a string that
remembers its rule. They subclass marshmallow's own validators, so the JSON-schema
converter reads their limits (``min``, ``max``, ``choices``, ``regex``) like any other.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import validate

from kazoo_tasks.rule_messages import fail


class Length(validate.Length):
    """String or list length, reported as ``minLength`` / ``maxLength``."""

    def __call__(self, value: Any) -> Any:
        size = len(value)
        if self.min is not None and size < self.min:
            raise fail("minLength", f"Value must be at least {self.min} long", target=self.min)
        if self.max is not None and size > self.max:
            raise fail("maxLength", f"Value must be at most {self.max} long", target=self.max)
        return value


class Range(validate.Range):
    """Inclusive numeric bounds, reported as ``minimum`` / ``maximum``."""

    def __call__(self, value: Any) -> Any:
        if self.min is not None and value < self.min:
            raise fail("minimum", f"Value must be at least {self.min}", target=self.min)
        if self.max is not None and value > self.max:
            raise fail("maximum", f"Value must be at most {self.max}", target=self.max)
        return value


class OneOf(validate.OneOf):
    """A value from a fixed list, reported as ``enum``."""

    def __call__(self, value: Any) -> Any:
        if value not in self.choices:
            choices = list(self.choices)
            raise fail("enum", f"Value is not one of {choices}", target=choices)
        return value


class Regexp(validate.Regexp):
    """A string matching a pattern, reported as ``pattern``."""

    def __call__(self, value: Any) -> Any:
        if self.regex.search(value) is None:
            raise fail("pattern", f"Value does not match {self.regex.pattern}")
        return value


def compiles_as_regex(value: str) -> str:
    """A callflow pattern must be a valid regular expression."""
    try:
        re.compile(value)
    except re.error as error:
        raise fail("pattern", f"Not a valid regular expression: {error}") from error
    return value
