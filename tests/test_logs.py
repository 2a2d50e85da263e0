"""The log formats: JSON lines with the bound context, context scoped to its block."""

from __future__ import annotations

import json
import logging

import pytest

from kazoo_tasks import logs
from kazoo_tasks.config import Settings


def _line(record_logger: logging.Logger, message: str, **extra: str) -> dict[str, object]:
    record = record_logger.makeRecord(
        record_logger.name, logging.INFO, __file__, 1, message, (), None, extra=extra or None
    )
    logs.ContextFilter().filter(record)
    return json.loads(logs.JsonFormatter().format(record))


def test_given_a_bound_call_when_a_line_is_logged_then_its_json_carries_the_context():
    logger = logging.getLogger("kazoo.test")
    with logs.bound(call_id="c1", node="fs1"):
        logs.annotate(account_id="a1", path="cf:_")
        inside = _line(logger, "step")
    outside = _line(logger, "later")

    assert inside["message"] == "step" and inside["level"] == "INFO"
    assert (inside["call_id"], inside["node"], inside["account_id"], inside["path"]) == (
        "c1",
        "fs1",
        "a1",
        "cf:_",
    )
    assert "call_id" not in outside and logs.current() == {}


def test_given_no_bound_block_when_the_engine_annotates_then_nothing_sticks_to_later_lines():
    logs.annotate(call_id="stray", path="cf:_")  # the engine run directly, outside a task

    assert logs.current() == {}
    assert "call_id" not in _line(logging.getLogger("kazoo.test"), "later")


def test_given_extra_fields_when_a_context_is_bound_then_the_extra_wins():
    with logs.bound(call_id="bound"):
        line = _line(logging.getLogger("kazoo.test"), "one-off", call_id="given")

    assert line["call_id"] == "given"


def test_given_an_unknown_format_when_logging_is_configured_then_it_is_refused(tmp_path):
    with pytest.raises(ValueError, match="KAZOO_LOG_FORMAT"):
        logs.configure(Settings(data_dir=tmp_path, log_format="xml"))
