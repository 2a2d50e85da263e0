"""A phone number's public fields (Kazoo's ``phone_numbers`` schema): caller-id name,
emergency address, porting details and any field of the client's own."""

from __future__ import annotations

from schemas.base import DocumentSchema, SubSchema, boolean, nested, obj, string, string_list

NUMBER_STATES = (
    "aging", "available", "deleted", "discovery", "in_service", "port_in", "port_out",
    "released", "reserved",
)  # fmt: skip
"""Kazoo's number states."""


class Cnam(SubSchema):
    display_name = string(
        "Caller-id name sent with calls from this number", min_length=1, max_length=15
    )
    inbound_lookup = boolean("Look the caller's name up on calls to this number")


class E911LegacyData(SubSchema):
    house_number = string()
    predirectional = string()
    streetname = string()
    suite = string()


class E911(SubSchema):
    activated_time = string("When e911 was provisioned")
    caller_name = string("The name emergency services see", min_length=3)
    extended_address = string("Suite, floor, apartment")
    latitude = string()
    legacy_data = nested(E911LegacyData, "Legacy E911 information")
    locality = string("City where the number is in service", required=True)
    location_id = string("The provisioning system's id of this address")
    longitude = string()
    notification_contact_emails = string_list(
        "Told when this number calls emergency services", default=[]
    )
    plus_four = string("Extended zip code")
    postal_code = string("Zip/postal code", required=True)
    region = string("Region (state), two letters", required=True, min_length=2, max_length=2)
    status = string(
        "The provisioning system's status",
        enum=("INVALID", "GEOCODED", "PROVISIONED", "REMOVED", "ERROR"),
    )
    street_address = string("Street address", required=True)


class PhoneNumberSchema(DocumentSchema):
    """What a client writes about a number (any other field is kept, as in Kazoo)."""

    pvt_type = "number"

    carrier_name = string("Carrier of the number", min_length=1, max_length=30)
    cnam = nested(Cnam, "Caller-id name (outbound) and lookup (inbound)")
    create_with_state = string("The state to create the number in (reserved)", enum=NUMBER_STATES)
    e911 = nested(E911, "Emergency service address")
    porting = obj("Porting (in) information")
