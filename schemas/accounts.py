"""An account (Kazoo's ``accounts`` schema): a tenant, nested in its parent account."""

from __future__ import annotations

from marshmallow import fields

from schemas.base import (
    CallerId,
    CallerIdOptions,
    CallRecording,
    DocumentSchema,
    Metaflows,
    MusicOnHold,
    Ringtones,
    SubSchema,
    Toggle,
    boolean,
    nested,
    obj,
    string,
    string_list,
)


class Preflow(SubSchema):
    always = string("Callflow run before every call of the account")


class AccountCallRecording(SubSchema):
    account = nested(CallRecording, "Recording of every call of the account")
    endpoint = nested(CallRecording, "Recording of the calls of the account's endpoints")


class AccountSchema(DocumentSchema):
    pvt_type = "account"

    name = string("A friendly name for the account", required=True, min_length=1, max_length=128)
    realm = string(
        "The SIP realm of the account",
        min_length=4,
        max_length=253,
        pattern=r"^[.\w-]+$",
    )
    enabled = boolean("Whether the account is enabled", default=True)
    language = string("Default language of the account's prompts")
    timezone = string("Default timezone (tz database name)", min_length=5, max_length=32)
    org = string("Full legal name of the organization")
    caller_id = nested(CallerId, "Default caller IDs")
    caller_id_options = nested(CallerIdOptions, "Caller ID options")
    call_restriction = obj("Account-level call restrictions", default={})
    call_recording = nested(AccountCallRecording, "Call recording settings")
    call_waiting = nested(Toggle, "Call waiting")
    dial_plan = obj("Dial plan rewrites")
    do_not_disturb = nested(Toggle, "Do not disturb")
    flags = string_list("Flags set by external applications")
    formatters = obj("Caller ID formatters")
    metaflows = nested(Metaflows, "Metaflow bindings")
    music_on_hold = nested(MusicOnHold, "Music on hold", default={})
    notifications = obj("Notification settings")
    preflow = nested(Preflow, "Callflow run before every call", default={})
    ringtones = nested(Ringtones, "Ringtones", default={})
    topup = obj("Automatic top-up settings")
    voicemail = obj("Voicemail settings")
    zones = obj("Zones")
    superduper_admin = fields.Boolean(
        dump_only=True,
        metadata={"description": "Whether this is a system admin account (system admins set it)"},
    )
