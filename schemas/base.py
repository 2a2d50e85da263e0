"""Building blocks of every document schema: the base class and field constructors.

Field constructors take Kazoo's JSON-schema vocabulary (``min_length``, ``enum``,
``default``...) so each document schema reads like the Kazoo schema it mirrors, and the
JSON-schema converter (:mod:`schemas.jsonschema`) turns them back into an API model.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from marshmallow import INCLUDE, Schema, ValidationError, fields, pre_load

from kazoo_tasks.loose_types import LooseSchema
from schemas.rules import Length, OneOf, Range, Regexp, fail

PRIVATE_PREFIX = "pvt_"
ID_LENGTH = 32
SERVER_ONLY_KEYS = frozenset({"superduper_admin"})
"""Public-looking keys that only the server sets: Kazoo shows an account's system-admin
flag (``pvt_superduper_admin``) as ``superduper_admin``; a client never writes it (a system
admin sets it through the accounts resource)."""

_UNSET: Any = object()


def _default_kwargs(default: Any) -> dict[str, Any]:
    """``load_default`` for a default value (mutable defaults are copied per load)."""
    if default is _UNSET:
        return {}
    if isinstance(default, (dict, list)):
        return {"load_default": lambda: copy.deepcopy(default)}
    return {"load_default": default}


def _meta(description: str | None) -> dict[str, Any]:
    return {"metadata": {"description": description}} if description else {}


def string(
    description: str | None = None,
    *,
    required: bool = False,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    enum: Sequence[str] | None = None,
    default: Any = _UNSET,
    extra: Sequence[Callable[[Any], Any]] = (),
) -> fields.String:
    """A string field with Kazoo's JSON-schema constraints."""
    validators: list[Callable[[Any], Any]] = []
    if min_length is not None or max_length is not None:
        validators.append(Length(min=min_length, max=max_length))
    if pattern is not None:
        validators.append(Regexp(pattern))
    if enum is not None:
        validators.append(OneOf(list(enum)))
    validators.extend(extra)
    return fields.String(
        required=required, validate=validators, **_default_kwargs(default), **_meta(description)
    )


def doc_id(description: str | None = None, *, required: bool = False) -> fields.String:
    """The id of another document (32 hex characters in Kazoo)."""
    return string(description, required=required, min_length=ID_LENGTH, max_length=ID_LENGTH)


def integer(
    description: str | None = None,
    *,
    required: bool = False,
    minimum: int | None = None,
    maximum: int | None = None,
    default: Any = _UNSET,
) -> fields.Integer:
    """A strict integer field (``"5"`` and ``5.5`` are refused, as JSON schema does)."""
    validators = [Range(min=minimum, max=maximum)] if (minimum, maximum) != (None, None) else []
    return fields.Integer(
        strict=True,
        required=required,
        validate=validators,
        **_default_kwargs(default),
        **_meta(description),
    )


class StrictNumber(fields.Float):
    """A JSON number: an integer or a float (no ``"5"``, no ``true``, as JSON schema)."""

    def _validated(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


def number(
    description: str | None = None, *, minimum: float | None = None, default: Any = _UNSET
) -> fields.Float:
    """A number field."""
    validators = [Range(min=minimum)] if minimum is not None else []
    return StrictNumber(validate=validators, **_default_kwargs(default), **_meta(description))


class StrictBoolean(fields.Boolean):
    """A JSON boolean: only ``true`` and ``false`` (no ``"yes"``, ``1``, ``"on"``)."""

    truthy = {True}
    falsy = {False}


def boolean(description: str | None = None, *, default: Any = _UNSET) -> fields.Boolean:
    """A boolean field."""
    return StrictBoolean(**_default_kwargs(default), **_meta(description))


def string_list(
    description: str | None = None,
    *,
    item: fields.Field | None = None,
    default: Any = _UNSET,
    required: bool = False,
) -> fields.List:
    """A list of strings (or of ``item`` fields)."""
    return fields.List(
        item or fields.String(),
        required=required,
        **_default_kwargs(default),
        **_meta(description),
    )


def obj(description: str | None = None, *, default: Any = _UNSET) -> fields.Dict:
    """A free-form JSON object."""
    return fields.Dict(keys=fields.String(), **_default_kwargs(default), **_meta(description))


def nested(
    schema: type[Schema], description: str | None = None, *, default: Any = _UNSET
) -> fields.Nested:
    """An object with its own schema."""
    return fields.Nested(schema, **_default_kwargs(default), **_meta(description))


class Alternatives(fields.Field):
    """A value of one of several forms (Kazoo's ``oneOf``): the first form that takes it
    loads it; none does: 400 ``oneOf``. (As in Kazoo, loose types are not converted
    here: each form is as strict as its field.)"""

    def __init__(self, *forms: fields.Field, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.forms = forms

    def _bind_to_schema(self, field_name: str, parent: Any) -> None:
        super()._bind_to_schema(field_name, parent)
        for form in self.forms:
            form._bind_to_schema(field_name, parent)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        for form in self.forms:
            try:
                return form.deserialize(value, attr, data, **kwargs)
            except ValidationError:
                continue
        raise fail("oneOf", "Value is not one of the forms this field takes")


def one_of(description: str | None, *forms: fields.Field, default: Any = _UNSET) -> Alternatives:
    """A field taking any of ``forms`` (Kazoo's ``oneOf``)."""
    return Alternatives(*forms, **_default_kwargs(default), **_meta(description))


def any_value(description: str | None = None) -> fields.Raw:
    """Any JSON value (Kazoo leaves some properties untyped)."""
    return fields.Raw(allow_none=False, **_meta(description))


class SubSchema(LooseSchema):
    """A nested object: keeps properties it does not know, like Kazoo's schemas, and takes
    loose types as Kazoo does (:class:`~kazoo_tasks.loose_types.LooseSchema`)."""

    class Meta:
        unknown = INCLUDE


class DocumentSchema(SubSchema):
    """Base of every stored document.

    Clients never set private fields (``pvt_*``), CouchDB's own fields (``_id``,
    ``_rev``...), the ``id`` that the URL carries nor :data:`SERVER_ONLY_KEYS`: they are
    dropped before validation, as Kazoo keeps only a request's public fields.
    ``pvt_type`` names the document type this schema validates.
    """

    pvt_type: str = ""

    @pre_load
    def _drop_reserved(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {key: value for key, value in data.items() if is_client_key(key)}


def is_reserved_key(key: str) -> bool:
    """Whether a top-level key is stored by the server only (private, CouchDB's, the id)."""
    return key.startswith(PRIVATE_PREFIX) or key.startswith("_") or key == "id"


def is_client_key(key: str) -> bool:
    """Whether a client may write this top-level key."""
    return not is_reserved_key(key) and key not in SERVER_ONLY_KEYS


# -- nested objects that several documents share -----------------------------------------


class CallerIdEntry(SubSchema):
    name = string("Caller ID name", max_length=35)
    number = string("Caller ID number", max_length=35)


class CallerId(SubSchema):
    internal = nested(CallerIdEntry, "Caller ID used on internal calls")
    external = nested(CallerIdEntry, "Caller ID used on external calls")
    emergency = nested(CallerIdEntry, "Caller ID used on emergency calls")
    asserted = nested(CallerIdEntry, "Asserted identity (P-Asserted-Identity)")


class CallForward(SubSchema):
    enabled = boolean("Forward calls to `number`", default=False)
    number = string("Number to forward to", max_length=35)
    direct_calls_only = boolean("Only forward calls made directly, not via groups", default=False)
    failover = boolean("Forward only when the endpoint is unavailable", default=False)
    ignore_early_media = boolean("Ignore early media of the forwarded leg", default=True)
    keep_caller_id = boolean("Keep the caller's ID on the forwarded call", default=True)
    require_keypress = boolean("Callee must press a key to accept", default=True)
    substitute = boolean("Replace the endpoint instead of ringing both", default=True)


class MusicOnHold(SubSchema):
    media_id = string("Media played to held callers", max_length=2048)


class Ringtones(SubSchema):
    internal = string("Alert-Info for internal calls", max_length=256)
    external = string("Alert-Info for external calls", max_length=256)


class Toggle(SubSchema):
    enabled = boolean("Whether the feature is on")


class CallerIdOptions(SubSchema):
    outbound_privacy = string(
        "Caller ID privacy on outbound calls", enum=("full", "name", "number", "none")
    )
    show_rate = boolean("Whether to show the rate")


class MetaflowNode(SubSchema):
    """Kazoo's ``metaflow``: a module to run, its data, and the children it branches to."""

    module = string("The metaflow module to run", required=True, min_length=1, max_length=64)
    data = obj("The module's data", default={})
    children = fields.Dict(
        keys=fields.String(validate=Length(min=1)),
        values=fields.Nested(lambda: MetaflowNode()),
        metadata={"description": "Child metaflows by branch"},
    )


class Metaflows(SubSchema):
    """Kazoo's ``metaflows``: DTMF sequences during a call that run a metaflow."""

    binding_digit = string(
        "DTMF that starts a sequence",
        enum=("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#"),
        default="*",
    )
    digit_timeout = integer("Milliseconds between DTMF before the sequence is read", minimum=0)
    listen_on = string("Which legs are listened to", enum=("both", "self", "peer"))
    numbers = fields.Dict(
        keys=fields.String(validate=Regexp(r"^[0-9]+$")),
        values=fields.Nested(MetaflowNode),
        metadata={"description": "Static numbers (digits) -> metaflow"},
    )
    patterns = fields.Dict(
        keys=fields.String(validate=Length(min=1)),
        values=fields.Nested(MetaflowNode),
        metadata={"description": "Patterns (regular expressions) -> metaflow"},
    )


class ContactList(SubSchema):
    exclude = boolean("Leave the endpoint out of the contact list")


class EndpointFields(SubSchema):
    """Properties users and devices share (Kazoo's endpoint properties)."""

    call_forward = nested(CallForward, "Call forwarding")
    call_restriction = obj("Per-classifier call restrictions", default={})
    call_waiting = nested(Toggle, "Call waiting")
    caller_id = nested(CallerId, "Caller IDs")
    caller_id_options = nested(CallerIdOptions, "Caller ID options")
    contact_list = nested(ContactList, "Contact list options", default={})
    dial_plan = obj("Dial plan rewrites")
    do_not_disturb = nested(Toggle, "Do not disturb")
    enabled = boolean("Whether the endpoint can make and receive calls", default=True)
    flags = string_list("Flags set by external applications")
    language = string("Language of prompts")
    media = obj("Media (codec) options")
    music_on_hold = nested(MusicOnHold, "Music on hold", default={})
    presence_id = string("Static presence id")
    ringtones = nested(Ringtones, "Ringtones", default={})
    timezone = string("Timezone (tz database name)")
