"""The API under load: many concurrent keep-alive clients against a real server process,
optionally with half-sent requests holding connections open, on each WSGI server we
considered (docs/performance.md, "The API under load").

    .venv/bin/python scripts/bench_api_load.py [--server waitress|gunicorn|both]
        [--clients 200] [--duration 30] [--half-open 0] [--timeout 10]

For each server: seeds an account in a fresh embedded document store, starts the server as
its own process (``kazoo-tasks api`` for waitress; ``gunicorn -k gevent`` for gunicorn,
which must be installed), logs in, optionally opens ``--half-open`` connections that send
half a request and stall, then runs ``--clients`` keep-alive clients in another process,
each asking ``GET /v2/accounts/{id}`` back to back for ``--duration`` seconds. Prints one
JSON line per server: requests, throughput, latency percentiles, timeouts, 5xx, errors,
and how long one ordinary request took while the half-sent ones were open.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not listen on {port}")


def server_command(server: str, port: int, gunicorn_workers: int) -> list[str]:
    """How each server under test is started (both serve ``api.app:create_app()``)."""
    if server == "waitress":
        return [str(BIN / "kazoo-tasks"), "api", "--port", str(port)]
    if not (BIN / "gunicorn").exists():
        raise SystemExit("gunicorn is not installed: .venv/bin/pip install -e '.[bench]'")
    return [
        str(BIN / "gunicorn"),
        "-k",
        "gevent",
        "-w",
        str(gunicorn_workers),
        "--worker-connections",
        "1000",
        "--keep-alive",
        "75",
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "api.app:create_app()",
    ]


def half_open(port: int, count: int) -> list[socket.socket]:
    """``count`` connections each sending the first half of a request, then nothing."""
    held = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(b"PUT /v2/api_auth HTTP/1.1\r\nHost: bench\r\nContent-Length: 100\r\n\r\n{")
        held.append(sock)
    return held


def run_server(args: argparse.Namespace, server: str) -> dict[str, Any]:
    from api.accounts.service import create_account
    from kazoo_tasks.docstore.embedded import EmbeddedDocumentStore

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        store = EmbeddedDocumentStore(data_dir / "documents.sqlite3")
        account, api_key = create_account(store, f"load {uuid.uuid4().hex[:6]}")
        store.close()
        port = free_port()
        env = {
            **os.environ,
            "KAZOO_NAMESPACE": f"load{uuid.uuid4().hex[:8]}",
            "KAZOO_DATA_DIR": str(data_dir),
            "KAZOO_REDIS_URL": args.redis,
            "KAZOO_API_SECRET": "bench-secret",
            "KAZOO_API_AUTH_RATE_LIMIT": "100000/minute",
            "KAZOO_LOG_LEVEL": "WARNING",
        }
        process = subprocess.Popen(
            server_command(server, port, args.gunicorn_workers), env=env, cwd=HERE.parent
        )
        held: list[socket.socket] = []
        try:
            wait_for_port(port)
            base = f"http://127.0.0.1:{port}/v2"
            body = {"data": {"api_key": api_key}}
            login = requests.put(f"{base}/api_auth", json=body, timeout=30)
            token = login.json()["auth_token"]
            path = f"/v2/accounts/{account['_id']}"
            held = half_open(port, args.half_open)
            started = time.perf_counter()
            probe = requests.get(base + path[3:], headers={"X-Auth-Token": token}, timeout=60)
            probe_ms = (time.perf_counter() - started) * 1000
            load = subprocess.run(
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--load-only",
                    f"127.0.0.1:{port}",
                    "--path",
                    path,
                    "--token",
                    token,
                    "--clients",
                    str(args.clients),
                    "--duration",
                    str(args.duration),
                    "--timeout",
                    str(args.timeout),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            result = json.loads(load.stdout.strip().splitlines()[-1])
            result.update(
                server=server,
                half_open=args.half_open,
                probe_status=probe.status_code,
                probe_ms=round(probe_ms, 1),
            )
            if server == "gunicorn":
                result["gunicorn_workers"] = args.gunicorn_workers
            return result
        finally:
            for sock in held:
                sock.close()
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def load_only(target: str, path: str, token: str, clients: int, duration: float, timeout: float):  # type: ignore[no-untyped-def]  # noqa: E501
    """The load generator (its own process): gevent greenlets, one keep-alive socket each."""
    from gevent import monkey

    monkey.patch_all()
    import gevent

    host, _, port = target.partition(":")
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nX-Auth-Token: {token}\r\n\r\n").encode()
    latencies: list[float] = []
    counts = {"timeouts": 0, "5xx": 0, "4xx": 0, "errors": 0}
    deadline = time.monotonic() + duration

    def read_answer(sock: socket.socket, buffer: bytearray) -> int:
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            buffer += chunk
        head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            rest += chunk
        buffer[:] = rest[length:]
        return status

    def client() -> None:
        sock = None
        buffer = bytearray()
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                if sock is None:
                    sock = socket.create_connection((host, int(port)), timeout=timeout)
                    buffer = bytearray()
                sock.sendall(request)
                status = read_answer(sock, buffer)
            except TimeoutError:
                counts["timeouts"] += 1
                sock = _closed(sock)
                continue
            except OSError:
                counts["errors"] += 1
                sock = _closed(sock)
                gevent.sleep(0.01)
                continue
            latencies.append(time.perf_counter() - started)
            if status >= 500:
                counts["5xx"] += 1
            elif status >= 400:
                counts["4xx"] += 1
        _closed(sock)

    began = time.monotonic()
    gevent.joinall([gevent.spawn(client) for _ in range(clients)])
    elapsed = time.monotonic() - began
    latencies.sort()

    def pct(p: float) -> float:
        if not latencies:
            return 0.0
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000, 1)

    print(
        json.dumps(
            {
                "clients": clients,
                "duration_s": round(elapsed, 1),
                "requests": len(latencies),
                "per_s": round(len(latencies) / elapsed, 1),
                "p50_ms": pct(0.50),
                "p90_ms": pct(0.90),
                "p99_ms": pct(0.99),
                "max_ms": round(latencies[-1] * 1000, 1) if latencies else 0.0,
                **counts,
            }
        )
    )


def _closed(sock: socket.socket | None) -> None:
    if sock is not None:
        sock.close()
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=("waitress", "gunicorn", "both"), default="both")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--half-open", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=10.0, help="client timeout (s)")
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--load-only", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_only:
        load_only(args.load_only, args.path, args.token, args.clients, args.duration, args.timeout)
        return
    servers = ("waitress", "gunicorn") if args.server == "both" else (args.server,)
    for server in servers:
        print(json.dumps(run_server(args, server)), flush=True)


if __name__ == "__main__":
    main()
