"""Signed, expiring auth tokens (itsdangerous, which Flask already depends on).

A token carries its account, the user it was issued to (user_auth) and how it was
obtained; the signature and the issue time are checked on every request, so nothing is
stored server-side and any API instance sharing the secret accepts it. We chose
itsdangerous over PyJWT: no third party reads these tokens, so JWT's interoperability buys
nothing, and itsdangerous is already installed with Flask (no new dependency).
"""

from __future__ import annotations

import hashlib
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

    def issue(self, account_id: str, owner_id: str | None, method: str) -> str:
        """A new token."""
        return self._serializer.dumps({"a": account_id, "o": owner_id, "m": method})

    def verify(self, token: str) -> TokenClaims:
        """The claims of a valid token; 401 when it is forged, malformed or expired."""
        try:
            payload = self._serializer.loads(token, max_age=self.ttl)
        except SignatureExpired:
            raise Unauthorized({"message": "token expired"}) from None
        except BadSignature:
            raise Unauthorized({"message": "invalid token"}) from None
        if not isinstance(payload, dict) or not isinstance(payload.get("a"), str):
            raise Unauthorized({"message": "invalid token"})
        return TokenClaims(payload["a"], payload.get("o"), str(payload.get("m", "")))
