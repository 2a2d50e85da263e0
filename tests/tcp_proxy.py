"""A TCP forwarder on 127.0.0.1 whose connections a test can cut, to play a broker outage,
or strand, to play a client's host that vanished without a word to the server."""

from __future__ import annotations

import socket
import threading


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``target``; :meth:`cut` drops every open connection,
    :meth:`strand` only their client side. ``port`` (default: a free one) lets a new proxy
    take over a closed one's port."""

    def __init__(self, target: tuple[str, int], port: int = 0) -> None:
        self.target = target
        self._server = socket.create_server(("127.0.0.1", port))
        self.port = int(self._server.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self._stranded: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            if sock in self._stranded:
                continue
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @property
    def connections(self) -> int:
        """How many client connections are open through the proxy."""
        with self._lock:
            return len(self._sockets) // 2

    def cut(self) -> None:
        """Reset every connection made so far (new ones are still accepted)."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            except OSError:
                pass

    def strand(self) -> None:
        """Close the client side of every connection made so far and leave the target's
        side open and silent, as a client whose host vanished: the client reconnects at
        once, the target learns that the old connection is gone only from its own timeouts
        (heartbeats). New connections are still forwarded."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
            self._stranded.update(sockets[1::2])
        for client in sockets[0::2]:
            try:
                client.shutdown(socket.SHUT_RDWR)
                client.close()
            except OSError:
                pass

    def close(self) -> None:
        """Stop accepting and cut everything."""
        self._closed = True
        try:  # wakes the thread blocked in accept(), which close() alone does not
            self._server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._server.close()
        self.cut()
        with self._lock:
            stranded, self._stranded = self._stranded, set()
        for sock in stranded:
            sock.close()
