"""Which hosts a customer's URL may point at, as Kazoo's ``kazoo_web`` client blacklists:
a customer must not make the platform request its own services (loopback, link-local,
private networks: Redis, CouchDB, FreeSWITCH's event socket, a cloud's metadata
endpoint). One guard for every outgoing request a customer's data chooses: the ``pivot``
module's ``voice_url``, the ``webhook`` module's ``uri`` and account webhooks' ``uri``.

A :class:`UrlGuard` holds denied networks and host names, and allowed networks that win
over the denied ones (a lab whose pivot server is on a private network). Two checks:

* :meth:`UrlGuard.refusal` reads the URL only (a listed host name, an IP address in a
  denied network): used when a callflow is saved, with no DNS look-up (as Kazoo);
* :meth:`UrlGuard.resolved_refusal` also resolves the host name and refuses when any of
  its addresses is denied: used right before each request a call makes (and each
  redirect it follows), since a name's addresses can change after the save.

:func:`allowed_url` is the save-time check as a marshmallow validator.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from kazoo_tasks.config import Settings, get_settings
from kazoo_tasks.rule_messages import fail

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _networks(text: str) -> tuple[Network, ...]:
    """Comma-separated CIDRs (a bare address is a /32 or /128)."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    )


def _host_names(text: str) -> frozenset[str]:
    return frozenset(part.strip().lower().rstrip(".") for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class UrlGuard:
    """Denied networks and host names, and allowed networks (which win)."""

    denied: tuple[Network, ...]
    denied_hosts: frozenset[str]
    allowed: tuple[Network, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> UrlGuard:
        """The pivot guard of ``settings`` (``KAZOO_PIVOT_DENY_NETWORKS``,
        ``KAZOO_PIVOT_DENY_HOSTS``, ``KAZOO_PIVOT_ALLOW_NETWORKS``)."""
        return cls(
            _networks(settings.pivot_deny_networks),
            _host_names(settings.pivot_deny_hosts),
            _networks(settings.pivot_allow_networks),
        )

    def refusal(self, url: str) -> str | None:
        """Why ``url`` may not be asked, from the URL alone (None when it may)."""
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
        if not host:
            return "the URL has no host"
        if host in self.denied_hosts:
            return f"host {host} is blacklisted"
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return None
        return self._address_refusal(host, [address])

    def resolved_refusal(self, url: str) -> str | None:
        """Why ``url`` may not be asked now, its host name resolved (None when it may;
        a name that does not resolve is left to the request, which then fails)."""
        refused = self.refusal(url)
        if refused is not None:
            return refused
        parts = urlsplit(url)
        host = parts.hostname or ""
        try:
            found = socket.getaddrinfo(host, parts.port or 80, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return None
        addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in found}
        return self._address_refusal(host, addresses)

    def _address_refusal(self, host: str, addresses: Iterable[Address]) -> str | None:
        for address in addresses:
            mapped = getattr(address, "ipv4_mapped", None) or address
            if any(mapped in network for network in self.allowed):
                continue
            if any(mapped in network for network in self.denied):
                return f"host {host} ({mapped}) is in a blacklisted network"
        return None


def allowed_url(url: str) -> None:
    """Marshmallow validator: refuse (rule ``blacklisted``) a URL whose host the process's
    guard denies, from the URL as written (``KAZOO_PIVOT_*`` settings; each request checks
    the resolved addresses again). A URL without a host is left to the URL rule."""
    refused = UrlGuard.from_settings(get_settings()).refusal(url)
    if refused is not None and urlsplit(url).hostname:
        raise fail("blacklisted", f"URL refused: {refused}")
