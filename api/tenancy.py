"""Authentication and tenancy as decorators (never repeated in handlers).

``authenticated`` requires a valid token (``X-Auth-Token`` or ``Authorization: Bearer``)
whose account (and, for a ``user_auth`` token, whose user) still exists and is enabled.
``account_scoped`` then lets the request reach the ``account_id`` of the URL only if it is
the token's account or one of its descendants
(the target's ``pvt_tree`` holds its ancestors), or if the token belongs to a system admin
(a ``superduper_admin`` account). ``admin_to_write`` keeps the tokens of users without
``priv_level: admin`` to reading (and never their account's api key). Resources list them
in ``method_decorators``: ``[admin_to_write, account_scoped, authenticated]`` (restx
applies the last one outermost).
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
from kazoo_tasks.docstore import NotFound, account_db

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Auth:
    """Who is calling: the token's claims and its account document."""

    claims: TokenClaims
    account: dict[str, Any]
    user: dict[str, Any] | None = None

    @property
    def account_id(self) -> str:
        return self.claims.account_id

    @property
    def is_superduper_admin(self) -> bool:
        return self.account.get("pvt_superduper_admin") is True

    @property
    def may_write(self) -> bool:
        """Account tokens (api_auth) and admin users write; other users only read."""
        return self.user is None or self.user.get("priv_level") == "admin"

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
        user = _token_user(context, claims) if claims.owner_id else None
        g.auth = Auth(claims, account, user)
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


def _token_user(context: Any, claims: TokenClaims) -> dict[str, Any]:
    """The user a ``user_auth`` token was issued to (401 once deleted or disabled)."""
    try:
        user = context.store.get(account_db(claims.account_id), claims.owner_id)
    except NotFound:
        user = {}
    if user.get("pvt_type") != "user" or user.get("enabled") is False:
        raise Unauthorized({"message": "user of the token is missing or disabled"})
    return user


def admin_to_write(view: View) -> View:
    """Refuse (403) writes, and api keys, to tokens of users who are not admins."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        auth: Auth = g.auth
        if not auth.may_write and (request.method != "GET" or request.path.endswith("/api_key")):
            raise Forbidden({"message": "only admins (priv_level admin) may do this"})
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
