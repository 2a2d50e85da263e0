"""Secrets that default to a random value generated once and kept in the data directory.

A single host (a laptop, ``make run``) then needs no configuration, while a deployment of
several hosts sets the same value everywhere through the ``KAZOO_*`` variable."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from kazoo_tasks.config import Settings


def stored_secret(settings: Settings, name: str, configured: str | None) -> str:
    """``configured`` when set, else the secret kept in ``<data_dir>/<name>`` (created on
    first use, mode 0600; when two processes race, both end up with the first one's)."""
    if configured:
        return configured
    path = Path(settings.data_dir) / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value
