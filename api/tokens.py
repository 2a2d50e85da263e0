"""Signed, expiring auth tokens (itsdangerous, which Flask already depends on).

A token carries its account, the user it was issued to (user_auth), how it was obtained,
its own id and a fingerprint of the credential it was issued from (the account's api key,
or the user's password hash); the signature and the issue time are checked on every
request, so any API instance sharing the secret accepts it. Revocation
(:mod:`api.revocation`) adds two checks: the token's id must not be revoked (logout, in
Redis), and its fingerprint must match the credential as it is now, so rotating an api key
or changing a password ends every token issued from the old one. We chose
itsdangerous over PyJWT: no third party reads these tokens, so JWT's interoperability buys
nothing, and itsdangerous is already installed with Flask (no new dependency).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from api.errors import Unauthorized
from kazoo_tasks.config import Settings
from kazoo_tasks.stored_secrets import stored_secret

SECRET_FILE = "api_secret"
_SALT = "kazoo-tasks.auth-token"


@dataclass(frozen=True)
class TokenClaims:
    """What a valid token says."""

    account_id: str
    owner_id: str | None
    method: str
    token_id: str
    fingerprint: str


def fingerprint(credential: str) -> str:
    """A short digest of the credential a token was issued from (never the credential:
    tokens are signed, not encrypted). A new api key or password hash gives a new one."""
    return hashlib.sha256(f"{_SALT}:{credential}".encode()).hexdigest()[:16]


def signing_secret(settings: Settings) -> str:
    """``Settings.api_secret``, or a secret generated once and kept in ``data_dir``."""
    return stored_secret(settings, SECRET_FILE, settings.api_secret)


class TokenSigner:
    """Issues and verifies tokens valid for ``ttl`` seconds."""

    def __init__(self, secret: str, ttl: int) -> None:
        self._serializer = URLSafeTimedSerializer(
            secret, salt=_SALT, signer_kwargs={"digest_method": hashlib.sha256}
        )
        self.ttl = ttl

    def issue(self, account_id: str, owner_id: str | None, method: str, credential: str) -> str:
        """A new token, bound to the ``credential`` (api key or password hash) it was
        issued from."""
        claims = {
            "a": account_id,
            "o": owner_id,
            "m": method,
            "j": secrets.token_hex(16),
            "k": fingerprint(credential),
        }
        return self._serializer.dumps(claims)

    def verify(self, token: str) -> TokenClaims:
        """The claims of a valid token; 401 when it is forged, malformed or expired."""
        try:
            payload = self._serializer.loads(token, max_age=self.ttl)
        except SignatureExpired:
            raise Unauthorized({"message": "token expired"}) from None
        except BadSignature:
            raise Unauthorized({"message": "invalid token"}) from None
        if not isinstance(payload, dict) or not all(
            isinstance(payload.get(key), str) for key in ("a", "j", "k")
        ):
            raise Unauthorized({"message": "invalid token"})
        return TokenClaims(
            payload["a"], payload.get("o"), str(payload.get("m", "")), payload["j"], payload["k"]
        )
