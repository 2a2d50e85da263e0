"""Password hashes: argon2id through argon2-cffi (docs/libraries.md).

Parameters are OWASP's minimum for argon2id (19 MiB of memory, 2 passes, 1 lane): about
20-30 ms and 19 MiB per hash here, so a burst of logins on the API's threads stays within
reach of a small machine. Hashes carry their parameters, so hashes made with older ones
still verify after they are raised.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted: never the same twice)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` is the one ``password_hash`` was made from."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_or_waste(password_hash: str | None, password: str) -> bool:
    """:func:`verify_password`, spending the same time when there is no hash to check
    (an unknown username must not answer faster than a wrong password)."""
    if password_hash is None:
        verify_password(_DUMMY_HASH, password)
        return False
    return verify_password(password_hash, password)


_DUMMY_HASH = hash_password("no user has this password")
