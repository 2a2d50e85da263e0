"""Stopping the waitress server must not touch a descriptor after closing it: a late write
to a closed number lands in whatever the process opens next (we saw broker connections
reset by stray bytes). Stop it many times while clients keep it busy, and count the
descriptors."""

from __future__ import annotations

import gc
import os
import threading
import time

import pytest
import requests
from flask import Flask

from api.server import start_in_thread

CYCLES = 100
CLIENTS = 6


def small_app() -> Flask:
    app = Flask("small")

    @app.get("/ping")
    def ping() -> str:
        return "pong"

    return app


def open_descriptors() -> int:
    """Descriptors open now, once objects left by earlier tests (sockets of their clients)
    are collected: otherwise the garbage collector closes them mid-test."""
    gc.collect()
    return len(os.listdir("/proc/self/fd"))


def hammer(url: str, stop: threading.Event, answers: list[str]) -> None:
    """Ask ``url`` again and again until ``stop``; record each answer or a cut."""
    with requests.Session() as session:
        while not stop.is_set():
            try:
                answers.append(session.get(url, timeout=5).text)
            except requests.Timeout:
                answers.append("hung")
            except requests.RequestException:  # refused, or cut mid-answer
                answers.append("cut")
                time.sleep(0.001)


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_given_busy_clients_when_the_server_stops_repeatedly_then_no_descriptor_is_left_or_misused():  # noqa: E501
    app = small_app()
    before = open_descriptors()
    answers: list[str] = []
    for _ in range(CYCLES):
        running = start_in_thread(app)
        done = threading.Event()
        clients = [
            threading.Thread(target=hammer, args=(f"{running.url}/ping", done, answers))
            for _ in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        time.sleep(0.05)  # requests are being served while the server stops
        running.stop()
        done.set()
        for client in clients:
            client.join(10)
        assert not running.thread.is_alive()
    assert "pong" in answers
    assert set(answers) <= {"pong", "cut"}
    assert open_descriptors() == before
