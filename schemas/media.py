"""A media file (Kazoo's ``media`` schema): the audio lives in the document's attachment."""

from __future__ import annotations

from schemas.base import DocumentSchema, SubSchema, boolean, doc_id, integer, nested, string

AUDIO_CONTENT_TYPES = (
    "audio/mp3",
    "audio/mpeg",
    "audio/mpeg3",
    "audio/x-wav",
    "audio/wav",
    "audio/ogg",
    "video/x-flv",
    "video/h264",
    "video/mpeg",
    "video/quicktime",
    "video/mp4",
    "video/webm",
)


class Tts(SubSchema):
    text = string("Text to speak", min_length=1)
    voice = string("Voice", default="female/en-US")


class MediaSchema(DocumentSchema):
    pvt_type = "media"

    name = string("A friendly name for the media", required=True, min_length=1, max_length=128)
    media_source = string(
        "Where the audio comes from", enum=("recording", "upload", "tts"), default="upload"
    )
    description = string("Description (often the original file name)", min_length=1)
    content_type = string("MIME type of the audio", enum=AUDIO_CONTENT_TYPES)
    content_length = integer(
        "Size of the audio in bytes (set by the upload; at most KAZOO_MEDIA_MAX_BYTES)", minimum=1
    )
    language = string("Language of the recording", default="en-us")
    prompt_id = string("System prompt this media stands for")
    source_id = doc_id("Document the media was recorded from")
    source_type = string("Type of the document the media was recorded from")
    streamable = boolean("Whether the media can be streamed", default=True)
    tts = nested(Tts, "Text-to-speech settings", default={})
