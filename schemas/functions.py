"""A function: JavaScript that makes a callflow for a call (Kazoo's ``functions`` schema),
run by the ``function`` callflow module. ``function_js`` is the body of
``function(call) { ... }``; one that does not compile is refused when it is saved."""

from __future__ import annotations

from marshmallow import ValidationError

from kazoo_tasks.js_sandbox import check_syntax
from schemas.base import DocumentSchema, boolean, string

MAX_SOURCE = 64 * 1024
"""Largest ``function_js`` (characters)."""


def function_body(value: str) -> None:
    """JavaScript that compiles as a function body."""
    error = check_syntax(value)
    if error is not None:
        raise ValidationError(f"not a valid JavaScript function body: {error}")


class FunctionSchema(DocumentSchema):
    pvt_type = "function"

    name = string("A descriptive name for the function", required=True)
    function_js = string(
        "The body of `function(call) { ... }` (JavaScript): `call` holds the call's data "
        "(pivot's request parameters); it returns the callflow to branch to",
        required=True,
        max_length=MAX_SOURCE,
        extra=[function_body],
    )
    enabled = boolean("Is the function enabled and running", default=True)
    language_pack = string(
        "The language and version of the function's runtime", default="javascript"
    )
