"""Request bodies of the login endpoints."""

from __future__ import annotations

from schemas.base import SubSchema, string


class ApiAuthRequest(SubSchema):
    api_key = string("The account's api key", required=True, min_length=1, max_length=128)


class UserAuthRequest(SubSchema):
    credentials = string(
        'Kazoo clients: md5 (or sha1) hex digest of "username:password", username lowercased',
        pattern=r"^[0-9a-f]{32}([0-9a-f]{8})?$",
    )
    method = string("Hash of the credentials", enum=("md5", "sha"), default="md5")
    username = string(
        "The user's username (with password, instead of credentials)", min_length=1, max_length=256
    )
    password = string("The user's password (with username)", min_length=1, max_length=1024)
    account_name = string("Name of the user's account", min_length=1, max_length=128)
    account_realm = string("SIP realm of the user's account", min_length=1, max_length=253)
    phone_number = string(
        "A phone number (DID) of the user's account, instead of its name or realm",
        min_length=1,
        max_length=64,
    )


API_AUTH_EXAMPLE = {"api_key": "<the account's api key>"}
USER_AUTH_EXAMPLE = {"credentials": "<md5 of 'username:password'>", "account_name": "Acme Corp"}
