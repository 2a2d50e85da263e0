"""Stand-ins for the engine's ``tts`` and ``hangup`` modules (Kazoo's data shapes), used by
the documentation test only while the real modules are not installed: the conftest
registers them only when no ``tts`` / ``hangup`` entry point exists."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from callflow.module import CallflowModule


class TtsData(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    voice = fields.String(load_default="female")


class HangupData(Schema):
    hangup_cause = fields.String(load_default="NORMAL_CLEARING")


class Tts(CallflowModule):
    data_schema = TtsData


class Hangup(CallflowModule):
    data_schema = HangupData
