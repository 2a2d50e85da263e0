"""A call detail record, written when a call ends (read-only through the API)."""

from __future__ import annotations

from schemas.base import DocumentSchema, integer, obj, string


class CdrSchema(DocumentSchema):
    pvt_type = "cdr"

    call_id = string("Call-ID of the leg", required=True)
    other_leg_call_id = string("Call-ID of the bridged leg")
    call_direction = string("Direction", enum=("inbound", "outbound"))
    caller_id_name = string("Caller ID name")
    caller_id_number = string("Caller ID number")
    callee_id_name = string("Callee ID name")
    callee_id_number = string("Callee ID number")
    request = string("Request URI (number@realm)")
    to = string("To URI")
    hangup_cause = string("Hangup cause (NORMAL_CLEARING, ...)")
    timestamp = integer("When the call ended, gregorian seconds")
    duration_seconds = integer("Seconds from start to hangup", minimum=0)
    billing_seconds = integer("Seconds from answer to hangup", minimum=0)
    ringing_seconds = integer("Seconds of ringing", minimum=0)
    media_server = string("FreeSWITCH node of the call")
    custom_channel_vars = obj("Kazoo channel variables of the call")
