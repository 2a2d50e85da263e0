"""``send_dtmf``: send DTMF tones to the caller (Kazoo's cf_send_dtmf), e.g. to drive
a far-end IVR or a voicemail system after a bridge."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from callflow.context import NodeContext
from callflow.module import CommandModule, ModuleData

DIGITS = r"^[0-9A-Da-d*#wW]{1,128}\Z"
"""What FreeSWITCH's send_dtmf plays: digits, A-D, ``w`` (half a second of pause), ``W``
(a second)."""


class DurationField(fields.Field):
    """Kazoo's ``duration_ms``: an integer or a string of digits (milliseconds)."""

    def _deserialize(self, value: object, attr: str | None, data: object, **kwargs: object) -> int:
        if isinstance(value, bool) or not str(value).strip().isdigit():
            raise ValidationError("must be a number of milliseconds")
        return int(str(value).strip())


class SendDtmfSchema(ModuleData):
    """Kazoo's callflows.send_dtmf data."""

    digits = fields.String(
        required=True,
        validate=validate.Regexp(DIGITS, error="digits 0-9, A-D, *, #, w or W (1 to 128)"),
        metadata={"description": "the tones to send"},
    )
    duration_ms = DurationField(
        load_default=2000,
        validate=validate.Range(min=40, max=20_000),
        metadata={"description": "how long each tone lasts, in milliseconds"},
    )


class SendDtmf(CommandModule):
    """Sends the tones (``send_dtmf <digits>@<ms>``), then continues to ``_``."""

    data_schema = SendDtmfSchema

    def send(self, ctx: NodeContext) -> None:
        ctx.execute("send_dtmf", f"{ctx.data['digits']}@{ctx.data['duration_ms']}")
