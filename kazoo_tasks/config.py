"""Configuration in one place: ``KAZOO_*`` environment variables.

Every process reads its settings through :func:`get_settings`. A setting left unset
falls back to an embedded default (see :mod:`kazoo_tasks.services`) so a laptop runs with
nothing installed, while production points the same code at RabbitMQ, Redis, CouchDB
and real FreeSWITCH nodes. docs/configuration.md documents each variable.
"""

from __future__ import annotations

import functools
import os
import typing
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from environs import Env

ENV_PREFIX = "KAZOO_"
QUEUE_TYPES = ("classic", "quorum")
"""RabbitMQ queue types the call pipeline's durable queues may be declared as."""
WRITE_ONCE_TYPES = ("cdr", "ledger", "audit_log", "login_attempt", "pivot_debug", "notify_smtp_log")
"""Document types written once and read by no cache or hook: the only ones whose changes
may go unannounced (``KAZOO_CHANGE_NOTICE_EXCLUDE_TYPES``; Kazoo's default
``change_notice_exclude_types``). Any other type may be cached somewhere, and a cache is
erased only by notifications."""
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

    @property
    def url(self) -> str:
        """This node as an ``esl://`` URL (the inverse of :meth:`from_url`)."""
        return f"esl://:{quote(self.password, safe='')}@{self.host}:{self.port}/{self.name}"


_ENV_PARSERS = {
    str: "str",
    str | None: "str",
    int: "int",
    float: "float",
    bool: "bool",
    Path: "path",
    Path | None: "path",
}
"""The environs parser of each field type of :class:`Settings`."""


def _default_data_dir() -> Path:
    state_home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state_home) / "kazoo-tasks"


@dataclass(frozen=True)
class Settings:
    """Every tunable of kazoo-tasks; ``None`` for a service URL means "embedded"."""

    namespace: str = "kazoo"
    data_dir: Path = field(default_factory=_default_data_dir)
    broker_url: str | None = None
    broker_queue_type: str = "classic"
    broker_heartbeat: int = 10
    broker_confirm_timeout: float = 10.0
    broker_tcp_user_timeout: float = 1.0
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
    cdr_flush_delay: float = 0.2
    branch_limit: int = 50
    call_lock_ttl: float = 5.0
    node_run_limit: int = 500
    orphan_timeout: int = 3 * 3600
    node_down_grace: int = 60
    reap_interval: float = 30.0
    timer_interval: float = 0.05
    timer_claim_ttl: float = 5.0
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_secret: str | None = None
    token_ttl: int = 3600
    api_auth_rate_limit: str = "10/minute"
    api_threads: int = 8
    api_connection_limit: int = 1000
    api_channel_timeout: int = 30
    api_max_body_bytes: int = 1_048_576
    media_max_bytes: int = 11_534_336
    soft_delete_retention: int = 30 * 86400
    switch_url: str | None = None
    switch_secret: str | None = None
    switch_password: str | None = None
    switch_allow: str = "127.0.0.0/8,::1/128"
    switch_media_url_ttl: int = 600
    recording_spool_dir: Path | None = None
    emulator_host: str = "127.0.0.1"
    emulator_port: int = 8021
    emulator_password: str = "ClueCon"
    emulator_time_scale: float = 1.0
    emulator_directory_url: str | None = None
    log_level: str = "INFO"
    log_format: str = "text"
    metrics_host: str = "127.0.0.1"
    ecallmgr_metrics_port: int = 9161
    worker_metrics_port: int = 9162
    changes_metrics_port: int = 9163
    metrics_dir: Path | None = None
    changes_lease_ttl: float = 10.0
    change_notice_exclude_types: str = ",".join(WRITE_ONCE_TYPES)
    cache_ttl: float = 300.0
    stage_log_dir: Path | None = None
    default_timezone: str = "America/Los_Angeles"
    call_clock: str | None = None
    acdc_offer_grace: float = 30.0
    acdc_sla_seconds: float = 20.0
    callflow_http_timeout: float = 10.0
    nomorobo_url: str = "https://api.nomorobo.com/v1/check"
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "no_reply@kazoo-tasks.invalid"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout: float = 10.0
    smtp_tries: int = 5
    webhook_timeout: float = 5.0
    webhook_backoff: float = 2.0
    webhook_disable_after: int = 6
    pivot_deny_networks: str = (
        "127.0.0.0/8,::1/128,0.0.0.0/8,::/128,169.254.0.0/16,fe80::/10,10.0.0.0/8,"
        "172.16.0.0/12,192.168.0.0/16,fc00::/7,100.64.0.0/10"
    )
    pivot_deny_hosts: str = "localhost"
    pivot_allow_networks: str = ""

    def __post_init__(self) -> None:
        if self.broker_tcp_user_timeout < 0:
            raise ValueError(
                f"{ENV_PREFIX}BROKER_TCP_USER_TIMEOUT is seconds, 0 or more; "
                f"got {self.broker_tcp_user_timeout!r}"
            )
        if not self.unannounced_types <= set(WRITE_ONCE_TYPES):
            raise ValueError(
                f"{ENV_PREFIX}CHANGE_NOTICE_EXCLUDE_TYPES may name only write-once types "
                f"({', '.join(WRITE_ONCE_TYPES)}): a cached document of another type would "
                f"never be refreshed; got {self.change_notice_exclude_types!r}"
            )
        if self.broker_queue_type not in QUEUE_TYPES:
            raise ValueError(
                f"{ENV_PREFIX}BROKER_QUEUE_TYPE must be one of {', '.join(QUEUE_TYPES)}; "
                f"got {self.broker_queue_type!r}"
            )

    @property
    def unannounced_types(self) -> frozenset[str]:
        """Document types whose changes the ``changes`` process does not announce
        (``KAZOO_CHANGE_NOTICE_EXCLUDE_TYPES``, comma-separated)."""
        return frozenset(
            t.strip() for t in self.change_notice_exclude_types.split(",") if t.strip()
        )

    @classmethod
    def from_env(cls) -> Settings:
        """Build settings from the ``KAZOO_*`` environment variables: each field ``name``
        is read from ``KAZOO_<NAME>``; unset variables keep the field's default."""
        env = Env(eager=True, expand_vars=False)
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        with env.prefixed(ENV_PREFIX):
            for spec in fields(cls):
                variable = spec.name.upper()
                if spec.name == "freeswitch_nodes":
                    urls = env.list(variable, None, delimiter=",")
                    if urls:
                        values[spec.name] = tuple(FreeswitchNode.from_url(u) for u in urls)
                    continue
                kind = _ENV_PARSERS[hints[spec.name]]
                value = getattr(env, kind)(variable, None)
                if value is not None:
                    values[spec.name] = value
        if "log_level" in values:
            values["log_level"] = values["log_level"].upper()
        if "log_format" in values:
            values["log_format"] = values["log_format"].lower()
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        """The ``KAZOO_*`` variables that make another process read these same settings."""
        variables: dict[str, str] = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if value is None:
                continue
            if spec.name == "freeswitch_nodes":
                value = ",".join(node.url for node in value)
            variables[ENV_PREFIX + spec.name.upper()] = str(value)
        return variables

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some fields changed (tests and the local runner use this)."""
        return replace(self, **changes)  # type: ignore[arg-type]


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings.from_env()
