"""A device (Kazoo's ``devices`` schema): a SIP phone or softphone, optionally owned."""

from __future__ import annotations

from schemas.base import (
    CallRecording,
    DocumentSchema,
    EndpointFields,
    Metaflows,
    SubSchema,
    boolean,
    doc_id,
    integer,
    nested,
    obj,
    one_of,
    string,
    string_list,
)


class DeviceSip(SubSchema):
    method = string("How the device authenticates", enum=("password", "ip"), default="password")
    username = string("SIP username", min_length=2, max_length=32)
    password = string("SIP password", min_length=5, max_length=32)
    realm = string("SIP realm", min_length=4, max_length=253, pattern=r"^[.\w_-]+$")
    ip = string("IP address of the device (method ip)")
    invite_format = string(
        "How the device is called",
        enum=("username", "npan", "1npan", "e164", "route", "strip_plus", "contact"),
        default="contact",
    )
    expire_seconds = integer("Registration expiry", default=300)
    number = string("Number to call (invite_format npan...)")
    route = string("SIP URI to call (invite_format route)")
    static_invite = string("Username used in the INVITE")
    custom_sip_headers = obj("Headers added to calls to the device")
    custom_sip_interface = string("FreeSWITCH SIP interface to use")
    forward = string("Forward address")
    proxy = string("Proxy")
    transport = string("Transport")
    static_route = string("Static route")
    ignore_completed_elsewhere = boolean("Hide 'completed elsewhere' missed calls")


class OutboundFlags(SubSchema):
    static = string_list("Static outbound flags")
    dynamic = string_list("Dynamic outbound flags")


class DeviceSchema(DocumentSchema, EndpointFields):
    pvt_type = "device"

    name = string("A friendly name for the device", required=True, min_length=1, max_length=128)
    device_type = string("Kind of device (sip_device, softphone, ...)")
    owner_id = doc_id("The user that owns the device")
    mac_address = string("MAC address")
    sip = nested(DeviceSip, "SIP settings", default={})
    exclude_from_queues = boolean("Do not ring this device for queues", default=False)
    mwi_unsolicited_updates = boolean("Send unsolicited MWI NOTIFY", default=True)
    register_overwrite_notify = boolean("Notify on registration overwrite", default=False)
    suppress_unregister_notifications = boolean(
        "Do not notify when the device unregisters", default=False
    )
    provision = obj("Provisioning settings")
    hotdesk = obj("Hotdesked users")
    outbound_flags = one_of(
        "Flags (features) the device requires on outbound calls",
        string_list(),
        nested(OutboundFlags),
    )
    formatters = obj("Caller ID formatters")
    metaflows = nested(Metaflows, "Metaflow bindings")
    call_recording = nested(CallRecording, "Call recording settings")
