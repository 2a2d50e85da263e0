"""Peak memory of an API process receiving an oversized media upload.

    .venv/bin/python scripts/measure_upload_rss.py [--megabytes 200]
        [--kazoo-tasks .venv/bin/kazoo-tasks]

Starts ``kazoo-tasks api`` (``--kazoo-tasks`` picks which installation: point it at
another checkout's virtualenv to measure that code) on a fresh embedded store, creates a
media document, reads the server's peak resident memory (``VmHWM``), then uploads
``--megabytes`` of audio to ``POST .../media/{id}/raw`` three times: with
``Content-Length``, chunked, and as a multipart form. Prints one JSON line: each
upload's answer and the server's peak RSS after it, in MB (docs/performance.md, "Oversized bodies").
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
from collections.abc import Iterator
from pathlib import Path

import requests

CHUNK = 1024 * 1024


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size so far (``VmHWM``), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmHWM")


def upload(url: str, headers: dict[str, str], data: object) -> str:
    """POST the upload; the status, or how the connection ended."""
    try:
        return str(requests.post(url, headers=headers, data=data, timeout=600).status_code)
    except requests.ConnectionError as error:  # the server answered and closed mid-upload
        return f"connection closed by the server ({type(error).__name__})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--kazoo-tasks", default=str(Path(sys.executable).parent / "kazoo-tasks"))
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    size = args.megabytes * CHUNK
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {
            **os.environ,
            "KAZOO_NAMESPACE": f"rss{uuid.uuid4().hex[:8]}",
            "KAZOO_DATA_DIR": tmp,
            "KAZOO_REDIS_URL": args.redis,
            "KAZOO_API_SECRET": "rss-secret",
        }
        server = subprocess.Popen([args.kazoo_tasks, "api", "--port", str(port)], env=env)
        try:
            base = f"http://127.0.0.1:{port}/v2"
            api_key = seed(args.kazoo_tasks, env)
            for _ in range(300):
                try:
                    login = requests.put(
                        f"{base}/api_auth", json={"data": {"api_key": api_key}}, timeout=5
                    )
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)
            token, account_id = login.json()["auth_token"], login.json()["data"]["account_id"]
            headers = {"X-Auth-Token": token, "Content-Type": "audio/mpeg"}
            media = requests.put(
                f"{base}/accounts/{account_id}/media",
                json={"data": {"name": "huge"}},
                headers=headers,
                timeout=30,
            ).json()["data"]["id"]
            url = f"{base}/accounts/{account_id}/media/{media}/raw"
            result: dict[str, object] = {
                "megabytes": args.megabytes,
                "kazoo_tasks": args.kazoo_tasks,
            }
            result["rss_at_start_mb"] = peak_rss_mb(server.pid)
            audio = Path(tmp) / "audio.mp3"
            with audio.open("wb") as handle:
                for _ in range(args.megabytes):
                    handle.write(b"\0" * CHUNK)
            with audio.open("rb") as body:
                result["content_length_answer"] = upload(url, headers, body)
            result["peak_rss_after_content_length_mb"] = peak_rss_mb(server.pid)

            def chunks() -> Iterator[bytes]:
                for _ in range(size // CHUNK):
                    yield b"\0" * CHUNK

            result["chunked_answer"] = upload(url, headers, chunks())
            result["peak_rss_after_chunked_mb"] = peak_rss_mb(server.pid)
            with audio.open("rb") as body:
                form = {"X-Auth-Token": token}
                try:
                    answer = requests.post(
                        url,
                        headers=form,
                        files={"file": ("a.mp3", body, "audio/mpeg")},
                        timeout=600,
                    )
                    result["multipart_answer"] = str(answer.status_code)
                except requests.ConnectionError as error:
                    result["multipart_answer"] = f"connection closed ({type(error).__name__})"
            result["peak_rss_after_multipart_mb"] = peak_rss_mb(server.pid)
            print(json.dumps(result))
        finally:
            server.terminate()
            server.wait(timeout=30)


def seed(kazoo_tasks: str, env: dict[str, str]) -> str:
    """A demo account through ``kazoo-tasks seed demo`` (same installation); its api key."""
    out = subprocess.run(
        [kazoo_tasks, "seed", "demo"], env=env, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])["api_key"]


if __name__ == "__main__":
    main()
