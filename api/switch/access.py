"""Who may call ``/switch``: clients from the allowed networks (``KAZOO_SWITCH_ALLOW``)
and, for directory look-ups, with the password ``KAZOO_SWITCH_PASSWORD`` by HTTP basic
auth (``mod_xml_curl``'s ``gateway-credentials``). Admin tokens mean nothing here."""

from __future__ import annotations

import functools
import hmac
import ipaddress
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, request

F = TypeVar("F", bound=Callable[..., Any])

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str) -> tuple[Network, ...]:
    """The networks of a ``KAZOO_SWITCH_ALLOW`` value (``ValueError`` on a bad one)."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False)
        for part in value.split(",")
        if part.strip()
    )


def address_allowed(address: str | None, networks: tuple[Network, ...]) -> bool:
    """Whether ``address`` (a client's IP) is in one of ``networks``."""
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in networks)


def plain(code: int, text: str, headers: dict[str, str] | None = None) -> Response:
    """A short text answer (FreeSWITCH logs the status, nobody reads a body)."""
    return Response(text + "\n", status=code, mimetype="text/plain", headers=headers or {})


def allowed_networks(networks: tuple[Network, ...]) -> Callable[[F], F]:
    """Refuse (403) a request from outside ``networks``."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not address_allowed(request.remote_addr, networks):
                return plain(403, "forbidden")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def basic_auth(password: str | None) -> Callable[[F], F]:
    """Ask for HTTP basic auth with ``password`` (any user name); no-op when None."""

    def decorate(view: F) -> F:
        if not password:
            return view

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            given = request.authorization
            supplied = (given.password or "") if given is not None else ""
            if given is None or not hmac.compare_digest(supplied.encode(), password.encode()):
                return plain(
                    401, "unauthorized", {"WWW-Authenticate": 'Basic realm="kazoo-tasks switch"'}
                )
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
