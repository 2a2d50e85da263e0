"""Every log line of an API request carries its ``request_id`` (the one its answer's
envelope and ``X-Request-ID`` header show) and the ``account_id`` of its URL."""

from __future__ import annotations

from flask import Flask, g, request

from api.http import request_id
from kazoo_tasks import logs


def _bind() -> None:
    account_id = (request.view_args or {}).get("account_id")
    g.log_context = logs.push(request_id=request_id(), account_id=account_id)


def _unbind(_: BaseException | None = None) -> None:
    pushed: logs.Pushed | None = g.pop("log_context", None)
    if pushed is not None:
        logs.pop(pushed)


def register(app: Flask) -> None:
    """Bind each request's context for its log lines."""
    app.before_request(_bind)
    app.teardown_request(_unbind)
