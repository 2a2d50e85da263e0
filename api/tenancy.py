"""Authentication and tenancy as decorators (never repeated in handlers).

``authenticated`` requires a valid token (``X-Auth-Token`` or ``Authorization: Bearer``)
whose account (and, for a ``user_auth`` token, whose user) still exists and is enabled.
``account_scoped`` then lets the request reach the ``account_id`` of the URL only if it is
the token's account or one of its descendants
(the target's ``pvt_tree`` holds its ancestors), or if the token belongs to a system admin
(a ``superduper_admin`` account). ``admin_to_write`` keeps the tokens of users without
``priv_level: admin`` to reading (never their account's api key, nor other users) and to
editing their own user document; nobody raises their own ``priv_level``. Resources list them
in ``method_decorators``: ``[admin_to_write, account_scoped, authenticated]`` (restx
applies the last one outermost). A token is refused once revoked: logged out, or issued
from an api key or a password that has changed since (:mod:`api.revocation`).
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
from api.http import request_data
from api.tokens import TokenClaims, fingerprint
from api.users.service import token_credential
from kazoo_tasks.docstore import NotFound, account_db
from kazoo_tasks.docstore.soft_delete import is_deleted

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
        if context.revocations.is_revoked(claims):
            raise Unauthorized({"message": "token revoked"})
        account = AccountService(context.store).lookup(claims.account_id)
        if account is None or account.get("enabled") is False:
            raise Unauthorized({"message": "account of the token is missing or disabled"})
        user = _token_user(context, claims) if claims.owner_id else None
        credential = token_credential(user) if user else account.get("pvt_api_key", "")
        if claims.fingerprint != fingerprint(credential):
            raise Unauthorized({"message": "token revoked"})  # new api key, or new password
        g.auth = Auth(claims, account, user)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def account_scoped(view: View) -> View:
    """Refuse (403) a request on an account the token does not reach; sets ``g.account``."""

    @functools.wraps(view)
    def wrapper(*args: Any, account_id: str, **kwargs: Any) -> Any:
        auth: Auth = g.auth
        if account_id == auth.account_id:
            target: dict[str, Any] | None = auth.account  # looked up by ``authenticated``
        else:
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
    if user.get("pvt_type") != "user" or user.get("enabled") is False or is_deleted(user):
        raise Unauthorized({"message": "user of the token is missing or disabled"})
    return user


PRIV_LEVELS = ("user", "admin")
"""Users' privilege levels, lowest first."""


def _own_user(auth: Auth) -> bool:
    """Whether the request is on the caller's own user document."""
    args = request.view_args or {}
    rule = request.url_rule.rule if request.url_rule is not None else ""
    return (
        auth.user is not None
        and rule.endswith("/users/<doc_id>")
        and args.get("account_id") == auth.account_id
        and args.get("doc_id") == auth.user["_id"]
    )


def _raises_own_level(auth: Auth) -> bool:
    """Whether an edit of one's own user document asks for a higher ``priv_level``."""
    data = request_data()
    wanted = data.get("priv_level") if isinstance(data, dict) else None
    if wanted not in PRIV_LEVELS or auth.user is None:
        return False
    current_level = auth.user.get("priv_level", "user")
    rank = PRIV_LEVELS.index(current_level) if current_level in PRIV_LEVELS else 0
    return PRIV_LEVELS.index(wanted) > rank


def admin_to_write(view: View) -> View:
    """What a user token may do: users without ``priv_level: admin`` read the account
    (never its api key, nor other users) and read and edit their own user document;
    nobody raises their own ``priv_level``. Account tokens (api_auth) and admins write."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        auth: Auth = g.auth
        own = _own_user(auth)
        if own and request.method in ("POST", "PATCH") and _raises_own_level(auth):
            raise Forbidden({"message": "nobody raises their own priv_level"})
        if not auth.may_write and not (own and request.method in ("GET", "POST", "PATCH")):
            rule = request.url_rule.rule if request.url_rule is not None else ""
            reads_others = "/users" in rule or rule.endswith("/api_key")
            if request.method != "GET" or reads_others:
                raise Forbidden({"message": "only admins (priv_level admin) may do this"})
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def system_admin_only(view: View) -> View:
    """Refuse (403) anyone but a system admin (a ``superduper_admin`` account's token)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        auth: Auth = g.auth
        if not auth.is_superduper_admin:
            raise Forbidden({"message": "only a system admin may do this"})
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
