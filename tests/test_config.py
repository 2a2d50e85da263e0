"""Settings from KAZOO_* variables, and back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from environs import EnvError

from kazoo_tasks.config import FreeswitchNode, Settings


def test_given_no_variables_then_services_are_embedded_and_the_emulator_is_the_switch(
    monkeypatch,
):
    for name in [n for n in os.environ if n.startswith("KAZOO_")]:
        monkeypatch.delenv(name)
    settings = Settings.from_env()
    assert settings.broker_url is None and settings.redis_url is None
    assert settings.couchdb_url is None
    assert settings.freeswitch_nodes == (FreeswitchNode("fs1", "127.0.0.1", 8021, "ClueCon"),)


def test_given_variables_then_each_field_is_typed(monkeypatch):
    monkeypatch.setenv("KAZOO_API_PORT", "9000")
    monkeypatch.setenv("KAZOO_CALL_LOCK_TTL", "2.5")
    monkeypatch.setenv("KAZOO_DATA_DIR", "/srv/kazoo")
    monkeypatch.setenv("KAZOO_LOG_LEVEL", "debug")
    monkeypatch.setenv("KAZOO_FREESWITCH_NODES", "esl://:s%40cret@10.0.0.5:8022/fsA,esl://:x@fs2")
    settings = Settings.from_env()
    assert settings.api_port == 9000
    assert settings.call_lock_ttl == 2.5
    assert settings.data_dir == Path("/srv/kazoo")
    assert settings.log_level == "DEBUG"
    assert settings.freeswitch_nodes == (
        FreeswitchNode("fsA", "10.0.0.5", 8022, "s@cret"),
        FreeswitchNode("fs2", "fs2", 8021, "x"),
    )


def test_given_a_bad_number_then_reading_fails_naming_the_variable(monkeypatch):
    monkeypatch.setenv("KAZOO_API_PORT", "eighty")
    with pytest.raises(EnvError, match="API_PORT"):
        Settings.from_env()


def test_given_settings_when_exported_and_read_back_then_they_are_equal(monkeypatch, tmp_path):
    original = Settings(
        namespace="ns1",
        data_dir=tmp_path,
        broker_url="amqp://guest:guest@127.0.0.1:5672//",
        freeswitch_nodes=(FreeswitchNode("a", "h", 1, "p@ss word"),),
        hangup_grace=3,
        emulator_time_scale=0.01,
    )
    for name in [n for n in os.environ if n.startswith("KAZOO_")]:
        monkeypatch.delenv(name)
    for name, value in original.to_env().items():
        monkeypatch.setenv(name, value)
    assert Settings.from_env() == original


def test_given_an_unknown_broker_queue_type_then_reading_fails_naming_the_variable(monkeypatch):
    monkeypatch.setenv("KAZOO_BROKER_QUEUE_TYPE", "stream")
    with pytest.raises(ValueError, match="KAZOO_BROKER_QUEUE_TYPE"):
        Settings.from_env()


def test_given_change_notice_exclusions_then_only_write_once_types_may_be_named(monkeypatch):
    monkeypatch.setenv("KAZOO_CHANGE_NOTICE_EXCLUDE_TYPES", " cdr , ledger ")
    assert Settings.from_env().unannounced_types == {"cdr", "ledger"}
    monkeypatch.setenv("KAZOO_CHANGE_NOTICE_EXCLUDE_TYPES", "")
    assert Settings.from_env().unannounced_types == frozenset()

    monkeypatch.setenv("KAZOO_CHANGE_NOTICE_EXCLUDE_TYPES", "cdr,callflow")
    with pytest.raises(ValueError, match="KAZOO_CHANGE_NOTICE_EXCLUDE_TYPES .* 'cdr,callflow'"):
        Settings.from_env()
