"""Logs an ops team can join: with ``KAZOO_LOG_FORMAT=json`` one call's lines, across
ecallmgr and the workers, share its ``call_id``; its end is one INFO line."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.conftest import TONE, node
from tests.waiting import wait_for


def json_lines(text: str) -> list[dict[str, Any]]:
    """The JSON log lines of a role's output (Celery's start-up banner is not logging)."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_given_json_logs_when_a_call_ends_then_its_lines_join_by_call_id_across_roles(
    stack_factory, account
):
    stack = stack_factory({"log_format": "json", "log_level": "DEBUG"})
    callflow_id = account.callflow(
        ["1000"], node("answer", then=node("play", {"id": TONE}, then=node("hangup")))
    )

    call = stack.emulator.place_call("1000", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    wait_for(lambda: account.cdr(call.uuid), 30, "the CDR")
    ended = wait_for(
        lambda: [
            line
            for line in json_lines(stack.workers[0].log())
            if line.get("call_id") == call.uuid and line["message"].startswith("call ended")
        ],
        30,
        "the call's last line",
    )
    assert len(ended) == 1
    assert ended[0]["level"] == "INFO"
    assert ended[0]["account_id"] == account.id and ended[0]["node"] == "fs1"
    assert "+14155550100 -> 1000" in ended[0]["message"]
    assert "NORMAL_CLEARING" in ended[0]["message"]

    ecallmgr = [line for line in json_lines(stack.ecallmgr.log()) if line.get("call_id")]
    worker = [line for line in json_lines(stack.workers[0].log()) if line.get("call_id")]
    assert {line["call_id"] for line in ecallmgr} == {call.uuid}
    assert {line["call_id"] for line in worker} == {call.uuid}
    assert len([line for line in ecallmgr if "written" in line["message"]]) == 3
    assert all(line["node"] == "fs1" for line in ecallmgr + worker)
    assert any(line.get("path", "").startswith(f"{callflow_id}:") for line in worker)
    assert not [line for line in ecallmgr + worker if line["level"] in ("WARNING", "ERROR")]
