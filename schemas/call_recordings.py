"""A call recording (Kazoo's ``call_recordings`` schema), written by ``record_call``
(read-only through the API)."""

from __future__ import annotations

from schemas.base import DocumentSchema, integer, obj, string


class CallRecordingSchema(DocumentSchema):
    pvt_type = "call_recording"

    name = string("The recording's file name (its attachment)", required=True)
    description = string("What it is")
    call_id = string("Call-ID of the recorded call", required=True)
    caller_id_name = string("Caller ID name")
    caller_id_number = string("Caller ID number")
    callee_id_name = string("Callee ID name")
    callee_id_number = string("Callee ID number")
    to = string("To URI")
    request = string("Request URI")
    direction = string("Direction", enum=("inbound", "outbound"))
    media_type = string("Format", enum=("mp3", "wav"))
    content_type = string("Content type of the audio")
    media_source = string("How it was made (recorded)")
    source_type = string("What made it (callflow)")
    origin = string("How the recording was started")
    start = integer("When the recording started, gregorian seconds")
    duration = integer("Length in seconds", minimum=0)
    duration_ms = integer("Length in milliseconds", minimum=0)
    custom_channel_vars = obj("Kazoo channel variables of the call")
