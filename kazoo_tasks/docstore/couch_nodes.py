"""The CouchDB nodes a store talks to, and failing over between them.

``KAZOO_COUCHDB_URL`` names one node or several, comma-separated
(``http://admin:pw@10.0.0.1:5984,http://10.0.0.2:5984,http://10.0.0.3:5984``); a URL
without credentials uses the first one's. Every node of a CouchDB cluster serves every
database, so requests go to one node, the first in the list, until it cannot be reached;
then to the next (and round again). The node a request failed on stays behind: later
requests start from the one that answered.

A request that never reached the node (connection refused, connect timeout) is retried on
the next node whatever it was. One that may have reached it (the connection broke before
the answer) is retried only when it is a read; a write then raises
:class:`~kazoo_tasks.docstore.base.Unavailable`, since it may have been applied (the
caller retries, and a conflict on retry means it was).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import requests
from ibm_cloud_sdk_core import ApiException
from ibm_cloud_sdk_core.authenticators import BasicAuthenticator, NoAuthAuthenticator
from ibmcloudant import CouchDbSessionAuthenticator
from ibmcloudant.cloudant_v1 import CloudantV1
from urllib3.exceptions import ConnectTimeoutError

from kazoo_tasks.docstore.base import InvalidRequest, Unavailable

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Node:
    """One CouchDB node: its URL (no credentials) and the SDK client of it."""

    url: str
    service: CloudantV1


@dataclass(frozen=True)
class _Credentials:
    user: str | None
    password: str | None
    session: bool


def _split(url: str) -> tuple[str, _Credentials]:
    """(URL without credentials or query, the credentials it carries)."""
    parts = urlsplit(url)
    session = parse_qs(parts.query).get("auth", [""])[0] == "session"
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    clean = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return clean, _Credentials(user, password, session)


def _service(url: str, credentials: _Credentials) -> CloudantV1:
    if credentials.user is None:
        authenticator: Any = NoAuthAuthenticator()
    elif credentials.session:
        authenticator = CouchDbSessionAuthenticator(credentials.user, credentials.password or "")
    else:
        authenticator = BasicAuthenticator(credentials.user, credentials.password or "")
    service = CloudantV1(authenticator=authenticator)
    service.set_service_url(url)
    # the SDK gzips request bodies by default; pouchdb-server stores gzipped attachments
    # as they came and fails to parse gzipped _index/_find bodies
    service.set_enable_gzip_compression(False)
    return service


def never_sent(exc: requests.RequestException) -> bool:
    """Whether the request surely did not reach the server (no connection was made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    return isinstance(getattr(reason, "reason", reason), ConnectTimeoutError)


class CouchNodes:
    """The nodes of ``url`` (one, or several comma-separated) and which one is in use."""

    def __init__(self, url: str) -> None:
        urls = [part.strip() for part in url.split(",") if part.strip()]
        if not urls:
            raise InvalidRequest("no CouchDB URL given")
        first: _Credentials | None = None
        nodes = []
        for raw in urls:
            clean, credentials = _split(raw)
            if first is None:
                first = credentials
            elif credentials.user is None:
                credentials = first
            nodes.append(Node(clean, _service(clean, credentials)))
        self.nodes: tuple[Node, ...] = tuple(nodes)
        self._current = 0
        self._lock = threading.Lock()

    @property
    def current(self) -> Node:
        """The node requests go to now."""
        return self.nodes[self._current]

    def _move_on(self, index: int, exc: Exception) -> None:
        """Requests go to the node after ``index`` from now on (unless another thread has
        already moved on)."""
        if len(self.nodes) == 1:
            return
        with self._lock:
            if self._current == index:
                self._current = (index + 1) % len(self.nodes)
                log.warning(
                    "CouchDB node %s unreachable (%s): using %s",
                    self.nodes[index].url,
                    exc,
                    self.nodes[self._current].url,
                )

    def run(
        self,
        send: Callable[[CloudantV1], T],
        *,
        idempotent: bool,
        mapped: Callable[[ApiException], Exception],
    ) -> T:
        """``send`` on the current node, then on the next ones while the node cannot be
        reached (every node once); HTTP errors become ``mapped(exc)``, an unreachable
        cluster :class:`Unavailable`."""
        start = self._current
        for attempt in range(len(self.nodes)):
            index = (start + attempt) % len(self.nodes)
            node = self.nodes[index]
            try:
                return send(node.service)
            except ApiException as exc:
                raise mapped(exc) from exc
            except requests.RequestException as exc:
                self._move_on(index, exc)
                last_attempt = attempt == len(self.nodes) - 1
                if last_attempt or not (idempotent or never_sent(exc)):
                    raise Unavailable(f"CouchDB at {node.url} unreachable: {exc}") from exc
        raise AssertionError("unreachable")  # the loop returns or raises
