"""``play``: play a media (a media id of the account, a URL, a tone_stream://...),
answering first unless told not to."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validates_schema

from callflow.context import NodeContext
from callflow.media import MediaNotFound
from callflow.module import CommandModule, ModuleData
from callflow.modules.fields import media_url


class PlaySchema(ModuleData):
    """Kazoo's play data: ``id`` (or ``url``) names the media."""

    id = fields.String(validate=media_url, metadata={"description": "media to play"})
    url = fields.String(validate=media_url, metadata={"description": "alias of id"})
    answer = fields.Boolean(load_default=True, metadata={"description": "answer first"})

    @validates_schema
    def _one_media(self, data: dict[str, Any], **_: Any) -> None:
        if not (data.get("id") or data.get("url")):
            raise ValidationError("id or url is required", "id")


class Play(CommandModule):
    """Plays the media, then continues to ``_`` (also when the playback failed, or the
    media id names no media of the account: Kazoo goes on too)."""

    data_schema = PlaySchema

    def send(self, ctx: NodeContext) -> None:
        reference = ctx.data.get("id") or ctx.data["url"]
        try:
            playable = ctx.media(reference)
        except MediaNotFound:
            ctx.note(f"media {reference} not found")
            return
        if ctx.data["answer"] and not ctx.call["answered"]:
            ctx.execute("answer")
        ctx.execute("playback", playable)
