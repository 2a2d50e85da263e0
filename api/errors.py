"""Errors of the API's service layer, each carrying its Kazoo error envelope fields.

They do not depend on Flask: the service layer raises them (the seed command catches them
too) and :mod:`api.http` turns any of them into the Kazoo error envelope.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer: HTTP ``code``, Kazoo ``message`` (an error name) and ``data``."""

    code = 500
    message = "internal_error"

    def __init__(self, data: Any = None, *, message: str | None = None) -> None:
        self.data = data if data is not None else {"message": self.message.replace("_", " ")}
        if message is not None:
            self.message = message
        super().__init__(f"{self.code} {self.message}: {self.data}")


class ValidationFailed(ApiError):
    """400: ``data`` maps each bad field path to ``{rule: {message: ...}}``."""

    code = 400
    message = "validation error"


class InvalidRequest(ApiError):
    """400: the request itself is malformed (not JSON, no ``data`` envelope...)."""

    code = 400
    message = "invalid request"


class Unauthorized(ApiError):
    """401: no token, a bad or expired token, or wrong credentials."""

    code = 401
    message = "invalid_credentials"


class Forbidden(ApiError):
    """403: the token does not reach this account."""

    code = 403
    message = "forbidden"


class NotFoundError(ApiError):
    """404: no such document (or it is of another type)."""

    code = 404
    message = "bad_identifier"


class RevisionConflict(ApiError):
    """409: the revision given is not the current one."""

    code = 409
    message = "datastore_conflict"


class HasDescendants(ApiError):
    """409: an account with sub-accounts cannot be deleted (Kazoo answers 500; we do not)."""

    code = 409
    message = "account_has_descendants"


def field_error(path: str, rule: str, message: str, **extra: Any) -> ValidationFailed:
    """A 400 naming one bad field, in Kazoo's shape."""
    return ValidationFailed({path: {rule: {"message": message, **extra}}})
