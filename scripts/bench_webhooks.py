"""Call setup with and without account webhooks whose receiver hangs (issue 12: a slow or
dead customer server must never slow a call).

Starts a local HTTP "receiver" that accepts every connection and never answers, then runs
``kazoo-tasks bench`` twice with the same arguments: once plain, once with
``--hooks-url`` pointing at the receiver (hooks on channel_create, channel_answer and
channel_destroy, delivered by a webhooks worker of their own). Prints one JSON line per
run, labelled, and how many connections the receiver was left holding:

    .venv/bin/python scripts/bench_webhooks.py --calls 300 --rate 20

Extra arguments go to both bench runs. docs/operations.md quotes the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

KAZOO_TASKS = str(Path(sys.executable).with_name("kazoo-tasks"))
FIGURES = ("completed", "setup_ms_p50", "setup_ms_p90", "setup_ms_p99", "setup_ms_max",
           "calls_per_s", "loadavg_before", "loadavg_after")  # fmt: skip


class HangingReceiver:
    """Accepts TCP connections on 127.0.0.1 and never answers (nor closes) them."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return  # closed
            self.held.append(connection)

    def close(self) -> None:
        self.server.close()
        for connection in self.held:
            connection.close()


def bench(args: list[str]) -> dict[str, object]:
    env = {**os.environ}  # the receiver is on loopback, which the URL guard denies by default
    env.setdefault("KAZOO_PIVOT_ALLOW_NETWORKS", "127.0.0.0/8")
    done = subprocess.run(
        [KAZOO_TASKS, "bench", *args], capture_output=True, text=True, check=True, env=env
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", default="300")
    parser.add_argument("--rate", default="20")
    known, extra = parser.parse_known_args()
    args = ["--calls", known.calls, "--rate", known.rate, *extra]
    receiver = HangingReceiver()
    try:
        plain = bench(args)
        hooked = bench([*args, "--hooks-url", f"http://127.0.0.1:{receiver.port}/hook"])
    finally:
        receiver.close()
    for label, result in (("without hooks", plain), ("hanging hooks", hooked)):
        print(json.dumps({"run": label, **{k: result.get(k) for k in FIGURES}}))
    print(json.dumps({"receiver_connections_held": len(receiver.held)}))


if __name__ == "__main__":
    main()
