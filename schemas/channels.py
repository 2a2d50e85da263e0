"""A live call as the API shows it (Kazoo's ``channels``): built from the call engine's
record in Redis, never stored. :func:`api.channels.service.channel_view` fills it; dumping
through this schema keeps the answer to exactly the fields the API model documents."""

from __future__ import annotations

from marshmallow import Schema

from schemas.base import boolean, integer, string, string_list


class ChannelSchema(Schema):
    uuid = string("Call-ID of the channel")
    account_id = string("Account the call belongs to")
    direction = string("Direction of the channel", enum=("inbound", "outbound"))
    caller_id_name = string("Caller ID name")
    caller_id_number = string("Caller ID number")
    callee_id_name = string("Callee ID name")
    callee_id_number = string("Callee ID number")
    destination = string("The number dialed")
    request = string("Request URI (number@realm)")
    answered = boolean("Whether the channel is answered")
    timestamp = integer("When the channel was created, gregorian seconds")
    elapsed_s = integer("Seconds since the channel was created", minimum=0)
    node = string("FreeSWITCH node (media server) of the channel")
    other_leg = string("Call-ID of the bridged leg")
    status = string("Where the call is in its life", enum=("active", "ending"))
    callflow_id = string("The callflow the call was routed to")
    node_path = string("Where the call is: <callflow id>:<child keys> of the current node")
    module = string("Callflow module of the current node")
    authorizing_id = string("The calling device (or other authorizing document)")
    authorizing_type = string("Type of the authorizing document (device, ...)")
    owner_id = string("The user who owns the calling device")
    devices = string_list("Devices on the call: the calling device and each one rung")
