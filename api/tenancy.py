"""Authentication and tenancy as decorators (never repeated in handlers).

``authenticated`` requires a valid token (``X-Auth-Token`` or ``Authorization: Bearer``)
whose account still exists and is enabled. ``account_scoped`` then lets the request reach
the ``account_id`` of the URL only if it is the token's account or one of its descendants
(the target's ``pvt_tree`` holds its ancestors), or if the token belongs to a system admin
(a ``superduper_admin`` account). Resources list them in ``method_decorators``:
``[account_scoped, authenticated]`` (restx applies the last one outermost).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import g, request

from api.accounts.service import AccountService, is_account_id
from api.context import current
from api.errors import Forbidden, NotFoundError, Unauthorized
from api.tokens import TokenClaims

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Auth:
    """Who is calling: the token's claims and its account document."""

    claims: TokenClaims
    account: dict[str, Any]

    @property
    def account_id(self) -> str:
        return self.claims.account_id

    @property
    def is_superduper_admin(self) -> bool:
        return self.account.get("pvt_superduper_admin") is True

    def reaches(self, target: dict[str, Any]) -> bool:
        """Whether this caller may act on the account ``target``."""
        if self.is_superduper_admin or target["_id"] == self.account_id:
            return True
        return self.account_id in target.get("pvt_tree", [])


def token_from_request() -> str | None:
    """The token of the request, from ``X-Auth-Token`` or ``Authorization: Bearer``."""
    token = request.headers.get("X-Auth-Token", "").strip()
    if token:
        return token
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def authenticated(view: View) -> View:
    """Refuse (401) a request without a valid token; sets ``g.auth``."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = token_from_request()
        if token is None:
            raise Unauthorized({"message": "missing auth token"})
        g.auth_token = token
        context = current()
        claims = context.tokens.verify(token)
        account = AccountService(context.store).lookup(claims.account_id)
        if account is None or account.get("enabled") is False:
            raise Unauthorized({"message": "account of the token is missing or disabled"})
        g.auth = Auth(claims, account)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def account_scoped(view: View) -> View:
    """Refuse (403) a request on an account the token does not reach; sets ``g.account``."""

    @functools.wraps(view)
    def wrapper(*args: Any, account_id: str, **kwargs: Any) -> Any:
        auth: Auth = g.auth
        target = AccountService(current().store).lookup(account_id)
        if target is None:
            if auth.is_superduper_admin and is_account_id(account_id):
                raise NotFoundError({"message": "bad identifier", "cause": account_id})
            raise Forbidden()
        if not auth.reaches(target):
            raise Forbidden()
        g.account = target
        return view(*args, account_id=account_id, **kwargs)

    return wrapper  # type: ignore[return-value]
