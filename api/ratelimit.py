"""Brute-force protection of the auth endpoints: Flask-Limiter with its counters in Redis
(shared by every API instance), keys prefixed by the namespace, limited per client address.

Flask-Limiter (with the ``limits`` library) is maintained, supports fixed and moving
windows and Redis storage, and raises a 429 that :mod:`api.http` turns into Kazoo's
``too_many_requests`` envelope.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from kazoo_tasks import services
from kazoo_tasks.config import Settings


def storage_uri(settings: Settings) -> str:
    """The Redis URL in the form the ``limits`` library expects."""
    url = services.redis_url(settings)
    if url.startswith("unix://"):
        return "redis+unix://" + url.removeprefix("unix://")
    return url


def make_limiter(app: Flask, settings: Settings) -> Limiter:
    """A limiter for ``app`` with no global limit (only what is decorated is limited)."""
    return Limiter(
        get_remote_address,
        app=app,
        storage_uri=storage_uri(settings),
        key_prefix=f"{settings.namespace}:ratelimit",
        strategy="fixed-window",
        headers_enabled=True,
    )


def auth_limit(limiter: Limiter, settings: Settings) -> Callable[[Any], Any]:
    """The decorator limiting login attempts: one budget (``Settings.api_auth_rate_limit``)
    per client address for both login endpoints."""
    return limiter.shared_limit(settings.api_auth_rate_limit, scope="auth")
