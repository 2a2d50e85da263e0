"""Logging of every role: text by default, one JSON object per line with
``KAZOO_LOG_FORMAT=json``, and the context of the work at hand on every line.

Code that handles a call or a request binds its context once (:func:`bound`, then
:func:`annotate` as more becomes known: the account, the node path) and every log line
emitted meanwhile, by any logger, carries it: ``call_id``, ``account_id``, ``node``,
``path`` on call handling, ``request_id`` and ``account_id`` on the API. The context
lives in a :mod:`contextvars` variable, so threads (the API's) and greenlets
(ecallmgr's) each have their own. A one-off line can pass the same fields as ``extra``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import UTC, datetime

from kazoo_tasks.config import Settings

CONTEXT_FIELDS = ("call_id", "account_id", "node", "path", "request_id")
"""The context a log line may carry, in the order the JSON shows them."""

TEXT_FORMAT = "%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s"

_context: ContextVar[dict[str, str]] = ContextVar("kazoo_log_context", default={})  # noqa: B039 (never mutated)
_depth: ContextVar[int] = ContextVar("kazoo_log_depth", default=0)
"""How many :func:`bound` blocks (or :func:`push`) are open in this context."""


@contextmanager
def bound(**fields: str | None) -> Iterator[None]:
    """Every log line inside the block carries ``fields`` (``None`` values are left out)."""
    token = push(**fields)
    try:
        yield
    finally:
        pop(token)


@dataclass(frozen=True)
class Pushed:
    """What :func:`push` changed, for :func:`pop` to restore."""

    context: Token[dict[str, str]]
    depth: Token[int]


def push(**fields: str | None) -> Pushed:
    """:func:`bound` for code that cannot wrap a block (a request's before and after
    hooks): add ``fields`` until :func:`pop` is given the returned value."""
    return Pushed(
        _context.set({**_context.get(), **_present(fields)}), _depth.set(_depth.get() + 1)
    )


def pop(pushed: Pushed) -> None:
    """Restore the context :func:`push` replaced."""
    try:
        _context.reset(pushed.context)
        _depth.reset(pushed.depth)
    except ValueError:  # pushed in another context (a framework that copied it): nothing left
        _context.set({})
        _depth.set(0)


def annotate(**fields: str | None) -> None:
    """Add ``fields`` to the context until the enclosing :func:`bound` block ends.

    Outside any block (the engine run directly, as some tests do) nothing is added: a
    context no block would ever remove would stick to every later line of the thread."""
    if _depth.get():
        _context.set({**_context.get(), **_present(fields)})


def current() -> dict[str, str]:
    """The context log lines carry now."""
    return dict(_context.get())


def _present(fields: dict[str, str | None]) -> dict[str, str]:
    return {key: str(value) for key, value in fields.items() if value}


class ContextFilter(logging.Filter):
    """Copies the bound context onto each record (fields given as ``extra`` win)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, process, message, context."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "process": record.processName,
            "pid": record.process,
            "message": record.getMessage(),
        }
        for key in CONTEXT_FIELDS:
            value = getattr(record, key, None)
            if value:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


FORMATS = ("text", "json")


def configure(settings: Settings) -> None:
    """Set up the root logger of a role process for ``settings`` (level and format);
    like :func:`logging.basicConfig`, it leaves a root logger that has handlers alone."""
    if settings.log_format not in FORMATS:
        raise ValueError(
            f"KAZOO_LOG_FORMAT is one of {', '.join(FORMATS)}, not {settings.log_format!r}"
        )
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(ContextFilter())
    root.addHandler(handler)
    root.setLevel(settings.log_level)
