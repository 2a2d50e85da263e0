"""The CouchDB back end given several nodes: it fails over to the next one when a node
cannot be reached, sends a read again elsewhere, and never sends a write twice.

The "nodes" here are the session's CouchDB plus stand-ins for a node that went away: a
closed port, a TCP proxy whose connections are cut, and a server that takes the request
and hangs up without answering. (tests/cluster/ kills a node of a real cluster.)"""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from kazoo_tasks.docstore import Unavailable, account_db
from kazoo_tasks.docstore.couch import CouchDocumentStore
from kazoo_tasks.testing.services import free_port
from tests.couchdb_server import ADMIN, CouchServer
from tests.tcp_proxy import TcpProxy
from tests.waiting import wait_for


def _with_port(server: CouchServer, port: int) -> str:
    """The admin URL of ``server`` with another port (another "node")."""
    live = urlsplit(server.admin_url)
    return server.admin_url.replace(f":{live.port}", f":{port}")


class HangUpServer:
    """A "node" that reads the request, then closes the connection without answering."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        self.requests = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            with client:
                if client.recv(65536):
                    self.requests += 1

    def close(self) -> None:
        self._server.close()


@pytest.fixture
def hang_up() -> Iterator[HangUpServer]:
    server = HangUpServer()
    yield server
    server.close()


def test_given_a_dead_first_node_when_used_then_the_next_node_serves_and_stays_in_use(
    couchdb_server: CouchServer,
) -> None:
    dead = f"http://{ADMIN[0]}:{ADMIN[1]}@127.0.0.1:{free_port()}"
    store = CouchDocumentStore(f"{dead},{couchdb_server.base_url}")  # credentials of the first
    db = account_db(uuid.uuid4().hex)

    store.ensure_db(db)  # a write that never reached the dead node is sent to the next
    saved = store.save(db, {"_id": "cdr1", "pvt_type": "cdr"})

    assert store.get(db, "cdr1")["_rev"] == saved["_rev"]
    assert store.url == couchdb_server.base_url
    store.delete_db(db)
    store.close()


def test_given_a_node_that_hangs_up_when_reading_then_the_read_is_sent_to_the_next_node(
    couchdb_server: CouchServer, hang_up: HangUpServer
) -> None:
    store = CouchDocumentStore(
        f"{_with_port(couchdb_server, hang_up.port)},{couchdb_server.base_url}"
    )

    assert isinstance(store.list_dbs(), list)

    assert hang_up.requests == 1
    assert store.url == couchdb_server.base_url
    store.close()


def test_given_a_node_that_hangs_up_when_writing_then_unavailable_and_the_next_call_moves_on(
    couchdb_server: CouchServer, hang_up: HangUpServer
) -> None:
    live = CouchDocumentStore(couchdb_server.admin_url)
    db = account_db(uuid.uuid4().hex)
    live.ensure_db(db)
    store = CouchDocumentStore(
        f"{_with_port(couchdb_server, hang_up.port)},{couchdb_server.base_url}"
    )

    # the request reached a node and got no answer: it may have been applied, so it is
    # not sent again behind the caller's back
    with pytest.raises(Unavailable):
        store.save(db, {"_id": "cdr1"})
    assert hang_up.requests == 1

    store.save(db, {"_id": "cdr1"})  # the caller's retry goes to the next node
    assert live.get(db, "cdr1")["_id"] == "cdr1"
    live.delete_db(db)
    live.close()
    store.close()


def test_given_a_long_poll_when_its_node_goes_away_then_the_feed_is_read_from_the_next_node(
    couchdb_server: CouchServer,
) -> None:
    live = CouchDocumentStore(couchdb_server.admin_url)
    db = account_db(uuid.uuid4().hex)
    live.ensure_db(db)
    target = urlsplit(couchdb_server.base_url)
    proxy = TcpProxy((target.hostname or "127.0.0.1", target.port or 5984))
    store = CouchDocumentStore(
        f"{_with_port(couchdb_server, proxy.port)},{couchdb_server.base_url}"
    )
    since = live.changes(db, "now").last_seq
    pages = []
    polling = threading.Thread(target=lambda: pages.append(store.changes(db, since, timeout=20)))
    polling.start()
    wait_for(lambda: proxy.connections == 1, what="the long poll open through the proxy")

    proxy.close()  # the node "dies" with the long poll open
    live.save(db, {"_id": "after"})
    polling.join(30)

    assert [change.id for change in pages[0].results] == ["after"]
    assert store.url == couchdb_server.base_url
    live.delete_db(db)
    live.close()
    store.close()
