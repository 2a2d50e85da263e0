"""Revoked tokens, in Redis so that every API instance sees a logout at once.

A logout (``DELETE /v2/token_auth``) stores the token's id until the token would have
expired anyway. Rotating an api key or changing a password needs no entry here: tokens
carry a fingerprint of the credential they were issued from (:mod:`api.tokens`), and that
credential lives in the shared document store.
"""

from __future__ import annotations

import redis

from api.tokens import TokenClaims


class Revocations:
    """The revoked token ids of one namespace."""

    def __init__(self, client: redis.Redis, namespace: str, token_ttl: int) -> None:
        self._redis = client
        self._prefix = f"{namespace}:auth:revoked:"
        self._ttl = token_ttl

    def revoke(self, claims: TokenClaims) -> None:
        """From now on, on every instance, the token of ``claims`` is refused."""
        self._redis.set(self._prefix + claims.token_id, claims.account_id, ex=self._ttl)

    def is_revoked(self, claims: TokenClaims) -> bool:
        return bool(self._redis.exists(self._prefix + claims.token_id))
