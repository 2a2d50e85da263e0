"""The call command contract: a validated dict that becomes exactly one ESL frame.

Callflow modules build commands; ecallmgr renders them with :func:`render_command` and
writes the bytes to FreeSWITCH. Nothing reaches the wire unvalidated: identifiers must
match strict patterns, values may not contain line breaks or NUL (which would let a
caller-controlled string add a header or a whole command), applications that run code
on the switch are refused, ``${...}`` (which the switch expands, ``${api(...)}`` running
an API command) is refused in any value, and sizes are bounded. Modules that copy caller-controlled
text (a caller-id name, say) into a command pass it through :func:`sanitize_text` first.

An ``originate`` command creates a call rather than acting on one: ``bgapi originate``
of the dial string ``args`` (no whitespace: FreeSWITCH splits its arguments on spaces),
the new channel's uuid being the command's ``call_id`` (``origination_uuid``), ringing at
most ``timeout`` seconds; once answered the channel runs the dialplan for
``destination`` in ``context`` (and so parks, and is routed like any call).
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from kazoo_tasks.esl.frames import encode_frame

MAX_VALUE_LENGTH = 8192
"""Longest value a command may carry (a long TTS text fits; a 1 MB header does not)."""

CALL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@:+-]{0,254}\Z"
APP_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,63}\Z"
HANGUP_CAUSE_PATTERN = r"^[A-Z][A-Z0-9_]{0,63}\Z"
API_ARG_PATTERN = r"^[A-Za-z0-9._@:+=/,-]*( [A-Za-z0-9._@:+=/,-]+)*\Z"

REFUSED_APPS = frozenset(
    {"system", "bgsystem", "eval", "lua", "luarun", "perl", "python", "javascript", "set_global"}
)
"""Applications that execute code or change global state on the switch."""

API_COMMANDS = frozenset(
    {"uuid_break", "uuid_kill", "uuid_answer", "uuid_transfer", "uuid_bridge", "uuid_audio",
     "conference"}
)  # fmt: skip
"""``api`` commands a module may send about its own call (``conference``: about the room
the call is in, sent by the conferences API; its arguments name the room, not the call)."""
CONFERENCE_ARG_PATTERN = (
    r"^[A-Za-z0-9_-]{1,128} (?:(?:mute|unmute|deaf|undeaf|kick) (?:all|[0-9]{1,9})"
    r"|lock|unlock|play [!-~]{1,4096}(?: [0-9]{1,9})?)\Z"
)
"""The ``conference`` sub-commands allowed: a room name, then mute / unmute / deaf /
undeaf / kick a member or all, lock, unlock, or play one file (no spaces) to the room or
to a member."""

ORIGINATE_DESTINATION_PATTERN = r"^\+?[0-9*#]{1,35}\Z"
CONTEXT_PATTERN = r"^[A-Za-z0-9_.-]{1,64}\Z"
_NO_WHITESPACE = re.compile(r"^\S+\Z")

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def sanitize_text(text: str) -> str:
    """Replace control characters (line breaks included) by spaces, break ``${`` (FreeSWITCH
    expands ``${name}`` in application arguments, and ``${api(args)}`` runs an API
    command) into ``$ {``, and trim the result."""
    return _CONTROL.sub(" ", text).replace("${", "$ {").strip()[:MAX_VALUE_LENGTH]


def _no_control(value: str) -> None:
    if "\n" in value or "\r" in value or "\x00" in value:
        raise ValidationError("must not contain line breaks or NUL")
    if "${" in value:
        raise ValidationError("must not contain ${...}: the switch would expand it")


class CommandSchema(Schema):
    """Shape of a call command (``kind`` execute, hangup or api)."""

    id = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9-]{1,64}\Z"))
    call_id = fields.String(required=True, validate=validate.Regexp(CALL_ID_PATTERN))
    node = fields.String(required=True, validate=validate.Length(min=1, max=255))
    kind = fields.String(
        required=True, validate=validate.OneOf(["execute", "hangup", "api", "originate"])
    )
    app = fields.String(validate=validate.Regexp(APP_NAME_PATTERN))
    args = fields.String(
        load_default="", validate=[validate.Length(max=MAX_VALUE_LENGTH), _no_control]
    )
    hangup_cause = fields.String(
        load_default="NORMAL_CLEARING", validate=validate.Regexp(HANGUP_CAUSE_PATTERN)
    )
    event_lock = fields.Boolean(load_default=True)
    destination = fields.String(validate=validate.Regexp(ORIGINATE_DESTINATION_PATTERN))
    context = fields.String(validate=validate.Regexp(CONTEXT_PATTERN))
    timeout = fields.Integer(validate=validate.Range(min=1, max=3600))

    @validates_schema
    def _check_kind(self, data: dict[str, Any], **_: Any) -> None:
        kind = data.get("kind")
        app = data.get("app")
        if kind in ("execute", "api") and not app:
            raise ValidationError("required for execute and api commands", "app")
        if kind == "execute" and app in REFUSED_APPS:
            raise ValidationError(f"application {app!r} is refused", "app")
        if kind == "api":
            if app not in API_COMMANDS:
                raise ValidationError(f"api command {app!r} is not allowed", "app")
            pattern = CONFERENCE_ARG_PATTERN if app == "conference" else API_ARG_PATTERN
            if not re.match(pattern, data.get("args", "")):
                raise ValidationError("api arguments hold characters that are not allowed", "args")
        if kind == "originate":
            for name in ("destination", "context", "timeout"):
                if name not in data:
                    raise ValidationError("required for originate commands", name)
            if not _NO_WHITESPACE.match(data.get("args", "")):
                raise ValidationError("a dial string without whitespace is required", "args")


_schema = CommandSchema()


class ValidCommand(dict[str, Any]):
    """A command as :func:`validate_command` returned it (a plain dict otherwise)."""


def validate_command(command: dict[str, Any]) -> ValidCommand:
    """Validate a command dict; raises marshmallow.ValidationError with field errors."""
    return ValidCommand(_schema.load(command))


def render_command(command: dict[str, Any]) -> bytes:
    """Validate ``command`` (unless :func:`validate_command` made it) and return the single
    ESL frame that carries it."""
    cmd = command if isinstance(command, ValidCommand) else validate_command(command)
    if cmd["kind"] == "api":
        about = "" if cmd["app"] == "conference" else cmd["call_id"]
        line = " ".join(filter(None, ["api", cmd["app"], about, cmd["args"]]))
        return (line + "\n\n").encode("utf-8")
    if cmd["kind"] == "originate":
        dial = cmd["args"]
        own = f"origination_uuid={cmd['call_id']},originate_timeout={cmd['timeout']}"
        dial = "{" + own + ("," + dial[1:] if dial.startswith("{") else "}" + dial)
        line = f"bgapi originate {dial} {cmd['destination']} XML {cmd['context']}"
        return (line + "\n\n").encode("utf-8")
    headers = [("call-command", cmd["kind"])]
    if cmd["kind"] == "execute":
        headers.append(("execute-app-name", cmd["app"]))
        if cmd["args"]:
            headers.append(("execute-app-arg", cmd["args"]))
        if cmd["event_lock"]:
            headers.append(("event-lock", "true"))
        headers.append(("Event-UUID", cmd["id"]))
    else:
        headers.append(("hangup-cause", cmd["hangup_cause"]))
    return f"sendmsg {cmd['call_id']}\n".encode() + encode_frame(headers)
