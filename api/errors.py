"""Errors of the API's service layer, each carrying its Kazoo error envelope fields.

They do not depend on Flask: the service layer raises them (the seed command catches them
too) and :mod:`api.http` turns any of them into the Kazoo error envelope.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer: HTTP ``code``, Kazoo ``message`` (an error name) and ``data``.

    A subclass names its own as class arguments:
    ``class Gone(ApiError, code=410, message="gone")``.
    """

    code = 500
    message = "internal_error"

    def __init_subclass__(
        cls, *, code: int | None = None, message: str | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code
        if message is not None:
            cls.message = message

    def __init__(self, data: Any = None, *, message: str | None = None) -> None:
        self.data = data if data is not None else {"message": self.message.replace("_", " ")}
        if message is not None:
            self.message = message
        super().__init__(f"{self.code} {self.message}: {self.data}")


class ValidationFailed(ApiError, code=400, message="validation error"):
    """400: ``data`` maps each bad field path to ``{rule: {message: ...}}``."""


class ClientError(ApiError, code=400, message="client error"):
    """400 in Kazoo's words for a refused operation whose ``data`` says why (``cause``)."""


class InvalidRequest(ApiError, code=400, message="invalid request"):
    """400: the request itself is malformed (not JSON, no ``data`` envelope...)."""


class Unauthorized(ApiError, code=401, message="invalid_credentials"):
    """401: no token, a bad or expired token, or wrong credentials."""


class Forbidden(ApiError, code=403, message="forbidden"):
    """403: the token does not reach this account."""


class NotFoundError(ApiError, code=404, message="bad_identifier"):
    """404: no such document (or it is of another type)."""


class RevisionConflict(ApiError, code=409, message="datastore_conflict"):
    """409: the revision given is not the current one."""


class HasDescendants(ApiError, code=409, message="account_has_descendants"):
    """409: an account with sub-accounts cannot be deleted (Kazoo answers 500; we do not)."""


def field_error(path: str, rule: str, message: str, **extra: Any) -> ValidationFailed:
    """A 400 naming one bad field, in Kazoo's shape."""
    return ValidationFailed({path: {rule: {"message": message, **extra}}})
