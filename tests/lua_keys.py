"""What Lua scripts really touch: each script run's declared ``KEYS`` and the keys of the
commands it ran, as Redis's ``MONITOR`` shows them.

Redis lists an ``EVAL``/``EVALSHA`` right before the commands its script runs (client
``lua``), and runs one script at a time, so each ``lua`` command belongs to the last
script call the server listed. The keys of a command are what the server itself says they
are (``COMMAND GETKEYS``), so a key in any position counts.

>>> with ScriptWatch([server]) as watch:
...     run_the_code()
>>> [run for run in watch.runs(server) if run.undeclared()]
[]
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import redis
from redis.cluster import key_slot

END = "end-of-script-watch"
_ENTRY = re.compile(r"^\S+ \[\d+ (?P<client>.*?)\] (?P<args>.*)$", re.S)
_ARG = re.compile(r'"((?:[^"\\]|\\.)*)"', re.S)
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|.)", re.S)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "a": "\a", "b": "\b"}


def _unescape(arg: str) -> str:
    """An argument as MONITOR quotes it (``sdscatrepr``), back to its text."""

    def one(found: re.Match[str]) -> str:
        code = found.group(1)
        if code.startswith("x") and len(code) == 3:
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, code)

    return _ESCAPE.sub(one, arg)


def parse_entry(line: str) -> tuple[str, list[str]]:
    """(client, arguments) of one MONITOR line; client ``lua`` for a script's command."""
    found = _ENTRY.match(line)
    if found is None:
        raise ValueError(f"not a MONITOR line: {line!r}")
    return found["client"], [_unescape(arg) for arg in _ARG.findall(found["args"])]


@dataclass
class ScriptRun:
    """One ``EVAL``/``EVALSHA``: the script (its SHA1, or ``eval`` with its body), the
    keys it declared and the commands it ran."""

    script: str
    declared: list[str]
    commands: list[list[str]] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)

    def undeclared(self) -> set[str]:
        """Keys the script touched without having them in ``KEYS``."""
        return self.touched - set(self.declared)

    def slots(self) -> set[int]:
        """The cluster slots of every key declared or touched."""
        return {key_slot(key.encode()) for key in {*self.declared, *self.touched}}


class ScriptWatch:
    """``MONITOR`` on some Redis servers (each a plain client of one server) while the
    ``with`` block runs; then :meth:`runs` gives the script runs each server saw."""

    def __init__(self, servers: list[redis.Redis]) -> None:
        self.servers = servers
        self._lines: dict[int, list[str]] = {id(s): [] for s in servers}
        self._threads = [threading.Thread(target=self._watch, args=(s,)) for s in servers]
        self._ready = threading.Barrier(len(servers) + 1, timeout=30)

    def _watch(self, server: redis.Redis) -> None:
        with server.monitor() as monitor:
            self._ready.wait()
            while True:
                line = monitor.connection.read_response()
                text = line.decode(errors="replace") if isinstance(line, bytes) else str(line)
                if f'"{END}"' in text:
                    return
                self._lines[id(server)].append(text)

    def __enter__(self) -> ScriptWatch:
        for thread in self._threads:
            thread.start()
        self._ready.wait()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self.servers:
            server.echo(END)
        for thread in self._threads:
            thread.join(30)

    def runs(self, server: redis.Redis) -> list[ScriptRun]:
        """The script runs ``server`` saw, in order, with the keys of their commands."""
        runs: list[ScriptRun] = []
        for line in self._lines[id(server)]:
            client, args = parse_entry(line)
            name = args[0].upper() if args else ""
            if client != "lua":
                if name in ("EVAL", "EVALSHA"):
                    script = args[1] if name == "EVALSHA" else "eval"
                    runs.append(ScriptRun(script, args[3 : 3 + int(args[2])]))
                continue
            runs[-1].commands.append(args)
            runs[-1].touched |= command_keys(server, args)
        return runs

    def all_runs(self) -> list[ScriptRun]:
        """The runs of every server."""
        return [run for server in self.servers for run in self.runs(server)]


def command_keys(server: redis.Redis, args: list[str]) -> set[str]:
    """The keys of one command, as the server's key specs say (``COMMAND GETKEYS``)."""
    try:
        keys = server.command_getkeys(*args)
    except redis.ResponseError as error:
        if "no key arguments" in str(error):
            return set()
        raise
    return {key.decode() if isinstance(key, bytes) else str(key) for key in keys}
