"""Configuration in one place: ``KAZOO_*`` environment variables.

Every process reads its settings through :func:`get_settings`. A setting left unset
falls back to an embedded default (see :mod:`kazoo_tasks.services`) so a laptop runs with
nothing installed, while production points the same code at RabbitMQ, Redis, CouchDB
and real FreeSWITCH nodes. docs/configuration.md documents each variable.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from environs import Env

ENV_PREFIX = "KAZOO_"
DEFAULT_FREESWITCH_NODE = "esl://:ClueCon@127.0.0.1:8021/fs1"


@dataclass(frozen=True)
class FreeswitchNode:
    """One FreeSWITCH Event Socket endpoint that ecallmgr connects to."""

    name: str
    host: str
    port: int
    password: str

    @classmethod
    def from_url(cls, url: str) -> FreeswitchNode:
        """Parse ``esl://:password@host:port/name`` (name defaults to the host)."""
        parts = urlsplit(url.strip())
        if parts.scheme != "esl" or not parts.hostname:
            raise ValueError(f"not an esl:// URL: {url!r}")
        name = parts.path.strip("/") or parts.hostname
        return cls(
            name=name,
            host=parts.hostname,
            port=parts.port or 8021,
            password=unquote(parts.password or "ClueCon"),
        )


def _default_data_dir() -> Path:
    state_home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state_home) / "kazoo-tasks"


@dataclass(frozen=True)
class Settings:
    """Every tunable of kazoo-tasks; ``None`` for a service URL means "embedded"."""

    namespace: str = "kazoo"
    data_dir: Path = field(default_factory=_default_data_dir)
    broker_url: str | None = None
    redis_url: str | None = None
    result_backend: str | None = None
    couchdb_url: str | None = None
    freeswitch_nodes: tuple[FreeswitchNode, ...] = (
        FreeswitchNode.from_url(DEFAULT_FREESWITCH_NODE),
    )
    esl_command_timeout: float = 5.0
    esl_event_buffer: int = 10_000
    esl_reconnect_max_delay: float = 10.0
    esl_lease_ttl: float = 3.0
    call_ttl: int = 4 * 3600
    hangup_grace: int = 60
    branch_limit: int = 50
    call_lock_ttl: float = 5.0
    node_run_limit: int = 500
    orphan_timeout: int = 3 * 3600
    node_down_grace: int = 60
    reap_interval: float = 30.0
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_secret: str | None = None
    token_ttl: int = 3600
    api_auth_rate_limit: str = "10/minute"
    emulator_host: str = "127.0.0.1"
    emulator_port: int = 8021
    emulator_password: str = "ClueCon"
    emulator_time_scale: float = 1.0
    log_level: str = "INFO"
    changes_lease_ttl: float = 10.0
    cache_ttl: float = 300.0

    @classmethod
    def from_env(cls) -> Settings:
        """Build settings from the ``KAZOO_*`` environment variables."""
        env = Env(eager=True, expand_vars=False)
        defaults = cls()
        with env.prefixed(ENV_PREFIX):
            nodes = env.list("FREESWITCH_NODES", [], delimiter=",")
            return cls(
                namespace=env.str("NAMESPACE", defaults.namespace),
                data_dir=env.path("DATA_DIR", defaults.data_dir),
                broker_url=env.str("BROKER_URL", None),
                redis_url=env.str("REDIS_URL", None),
                result_backend=env.str("RESULT_BACKEND", None),
                couchdb_url=env.str("COUCHDB_URL", None),
                freeswitch_nodes=tuple(FreeswitchNode.from_url(n) for n in nodes)
                or defaults.freeswitch_nodes,
                esl_command_timeout=env.float("ESL_COMMAND_TIMEOUT", defaults.esl_command_timeout),
                esl_event_buffer=env.int("ESL_EVENT_BUFFER", defaults.esl_event_buffer),
                esl_reconnect_max_delay=env.float(
                    "ESL_RECONNECT_MAX_DELAY", defaults.esl_reconnect_max_delay
                ),
                esl_lease_ttl=env.float("ESL_LEASE_TTL", defaults.esl_lease_ttl),
                call_ttl=env.int("CALL_TTL", defaults.call_ttl),
                hangup_grace=env.int("HANGUP_GRACE", defaults.hangup_grace),
                branch_limit=env.int("BRANCH_LIMIT", defaults.branch_limit),
                call_lock_ttl=env.float("CALL_LOCK_TTL", defaults.call_lock_ttl),
                node_run_limit=env.int("NODE_RUN_LIMIT", defaults.node_run_limit),
                orphan_timeout=env.int("ORPHAN_TIMEOUT", defaults.orphan_timeout),
                node_down_grace=env.int("NODE_DOWN_GRACE", defaults.node_down_grace),
                reap_interval=env.float("REAP_INTERVAL", defaults.reap_interval),
                api_host=env.str("API_HOST", defaults.api_host),
                api_port=env.int("API_PORT", defaults.api_port),
                api_secret=env.str("API_SECRET", None),
                token_ttl=env.int("TOKEN_TTL", defaults.token_ttl),
                api_auth_rate_limit=env.str("API_AUTH_RATE_LIMIT", defaults.api_auth_rate_limit),
                emulator_host=env.str("EMULATOR_HOST", defaults.emulator_host),
                emulator_port=env.int("EMULATOR_PORT", defaults.emulator_port),
                emulator_password=env.str("EMULATOR_PASSWORD", defaults.emulator_password),
                emulator_time_scale=env.float("EMULATOR_TIME_SCALE", defaults.emulator_time_scale),
                log_level=env.str("LOG_LEVEL", defaults.log_level).upper(),
                changes_lease_ttl=env.float("CHANGES_LEASE_TTL", defaults.changes_lease_ttl),
                cache_ttl=env.float("CACHE_TTL", defaults.cache_ttl),
            )

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some fields changed (tests and the local runner use this)."""
        return replace(self, **changes)  # type: ignore[arg-type]


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings.from_env()
