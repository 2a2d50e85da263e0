"""A user (Kazoo's ``users`` schema): a person, owner of devices and voicemail boxes."""

from __future__ import annotations

from marshmallow import fields

from schemas.agents import AgentSchema
from schemas.base import (
    CallRecording,
    DocumentSchema,
    EndpointFields,
    Metaflows,
    SubSchema,
    boolean,
    nested,
    obj,
    string,
)


class Hotdesk(SubSchema):
    enabled = boolean("Whether the user may hotdesk", default=False)
    id = string("Hotdesk id", max_length=15)
    keep_logged_in_elsewhere = boolean("Stay logged in on other devices", default=False)
    pin = string("Hotdesk PIN", min_length=4, max_length=15)
    require_pin = boolean("Whether a PIN is required", default=False)


class UserSchema(DocumentSchema, EndpointFields, AgentSchema):
    pvt_type = "user"

    first_name = string("First name", required=True, min_length=1, max_length=128)
    last_name = string("Last name", required=True, min_length=1, max_length=128)
    username = string(
        "Username for user_auth", min_length=1, max_length=256, pattern=r"^([+@.\w_-]+)$"
    )
    password = fields.String(
        load_only=True,
        metadata={"description": "Password for user_auth; stored only as hashes"},
    )
    email = string("Email address", min_length=3, max_length=254)
    priv_level = string("Privilege level", enum=("user", "admin"), default="user")
    feature_level = string("Feature level")
    directories = obj("Directory listings the user appears in")
    hotdesk = nested(Hotdesk, "Hotdesking", default={})
    pronounced_name = obj("Recorded name of the user")
    require_password_update = boolean("Ask for a new password at next login", default=False)
    verified = boolean("Whether the user is verified", default=False)
    vm_to_email_enabled = boolean("Email voicemails to the user", default=True)
    voicemail = obj("Voicemail notification settings")
    profile = obj("User profile")
    formatters = obj("Caller ID formatters")
    metaflows = nested(Metaflows, "Metaflow bindings")
    call_recording = nested(CallRecording, "Call recording settings")
