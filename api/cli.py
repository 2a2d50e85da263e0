"""``kazoo-tasks api``: serve the Crossbar API (``KAZOO_API_HOST``/``KAZOO_API_PORT``)."""

from __future__ import annotations

import click

from kazoo_tasks.config import get_settings


@click.command("api")
@click.option("--host", default=None, help="Address to listen on (default: KAZOO_API_HOST).")
@click.option("--port", type=int, default=None, help="Port (default: KAZOO_API_PORT).")
def command(host: str | None, port: int | None) -> None:
    """Serve the REST API (/v2) and its Swagger UI (/v2/docs)."""
    from api.app import create_app
    from api.server import serve

    settings = get_settings()
    serve(create_app(settings), host or settings.api_host, port or settings.api_port)
