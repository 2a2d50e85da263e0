"""A live SIP registration as the API shows it (Kazoo's ``registrations``): built from
what ecallmgr's registration task keeps in Redis, never stored as a document."""

from __future__ import annotations

from marshmallow import Schema

from schemas.base import boolean, integer, string


class RegistrationSchema(Schema):
    username = string("SIP user that registered")
    realm = string("SIP realm (the account's)")
    contact = string("Contact URI the device registered")
    network_ip = string("Source address of the REGISTER")
    network_port = string("Source port of the REGISTER")
    user_agent = string("User-Agent of the device")
    call_id = string("SIP Call-ID of the registration")
    expires = integer("Seconds the registration was granted for", minimum=0)
    event_timestamp = integer("When it registered, gregorian seconds")
    media_server = string("FreeSWITCH node that received it")
    profile = string("Sofia profile that received it")


class DeviceStatusSchema(Schema):
    """One device of ``devices/status`` (Kazoo's shape: ``device_id``, ``registered``)."""

    device_id = string("The device's id")
    registered = boolean("Whether its SIP username is registered in the account's realm now")
