"""Field validators shared by the shipped modules' data schemas."""

from __future__ import annotations

import re
from typing import Any

import regex
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from kazoo_tasks.commands import MAX_VALUE_LENGTH

MEDIA_SCHEMES = ("http://", "https://", "tone_stream://", "silence_stream://", "local_stream://")
VARIABLE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def plain_text(value: str) -> None:
    """Text that may go into a command argument: no line breaks, NUL or ``${`` expansion."""
    if re.search(r"[\x00-\x1f\x7f]", value):
        raise ValidationError("must not contain control characters")
    if "${" in value:
        raise ValidationError("must not contain ${...} variable expansions")
    if len(value) > MAX_VALUE_LENGTH:
        raise ValidationError(f"longer than {MAX_VALUE_LENGTH} characters")


MEDIA_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
"""A media document id (Kazoo documents ``id`` as "media ID or URL")."""


def media_url(value: str) -> None:
    """A media the switch can play: the id of a media document of the account, an
    http(s) URL, a tone/silence/local stream, or a path on the switch."""
    plain_text(value)
    if MEDIA_ID.match(value):
        return
    if not (value.startswith(MEDIA_SCHEMES) or value.startswith("/")):
        raise ValidationError(
            "must be a media id, an http(s):// URL, a tone_stream://, silence_stream:// or "
            "local_stream:// source, or an absolute path"
        )
    if " " in value.split("://", 1)[-1].split(";", 1)[0] and value.startswith("http"):
        raise ValidationError("URLs must not contain spaces")


def variable_name(value: str) -> None:
    """A custom variable name (letters, digits, ``_`` and ``-``)."""
    if not VARIABLE_NAME.match(value):
        raise ValidationError("must be 1-64 letters, digits, '_' or '-'")


def document_id(description: str, **options: object) -> fields.String:
    """A field holding the id of a document of the account."""
    return fields.String(
        validate=validate.Length(min=1, max=128), metadata={"description": description}, **options
    )


def regular_expression(value: str) -> None:
    """A regular expression as Kazoo users write them (PCRE-style, ``regex``)."""
    try:
        regex.compile(value)
    except regex.error as exc:
        raise ValidationError(f"not a valid regular expression: {exc}") from exc


def text(description: str, **options: object) -> fields.String:
    """A caller id name or number, a prefix, a value: plain text of at most 256 characters."""
    return fields.String(
        validate=[plain_text, validate.Length(max=256)],
        metadata={"description": description},
        **options,
    )


class RecipientSchema(Schema):
    """One of Kazoo's notification recipients: ``type`` ``email`` (``id``: an address or
    a list of them) or ``user`` (``id``: a user id or a list: the user's email)."""

    type = fields.String(required=True, validate=validate.OneOf(["user", "email"]))
    id = fields.Raw(required=True)

    @validates_schema
    def _check_ids(self, data: dict[str, Any], **_: Any) -> None:
        ids = data.get("id")
        listed = [ids] if isinstance(ids, str) else ids
        if not isinstance(listed, list) or not all(isinstance(i, str) for i in listed):
            raise ValidationError("a string or a list of strings", "id")
        check = validate.Email() if data.get("type") == "email" else validate.Length(1, 128)
        for value in listed:
            plain_text(value)
            check(value)


def recipients(**options: Any) -> fields.List:
    """Kazoo's ``recipients`` list of :class:`RecipientSchema` objects."""
    return fields.List(fields.Nested(RecipientSchema), **options)
