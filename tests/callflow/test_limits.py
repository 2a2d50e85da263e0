"""The per-call cap on node executions: a long or looping flow ends instead of spinning."""

from __future__ import annotations

import pytest

from tests.callflow.conftest import ACCOUNT_ID, cdr_of, node
from tests.waiting import wait_for


@pytest.fixture
def settings(settings):
    return settings.with_overrides(node_run_limit=3)


def test_given_more_nodes_than_the_node_run_limit_when_a_call_runs_then_it_is_hung_up_at_the_limit(  # noqa: E501
    worker, switch, save_callflow, documents
):
    flow = node("tts", {"text": "end"})
    for _ in range(5):
        flow = node("sleep", {"duration": 0}, _=flow)  # nodes that never wait
    save_callflow("cf-chain", flow, ["8000"])

    call_id = switch.park("8000", account_id=ACCOUNT_ID)

    assert switch.wait_ended([call_id]) == []
    assert switch.apps(call_id) == ["hangup NORMAL_CLEARING"]
    cdr = wait_for(lambda: cdr_of(documents, call_id))
    assert cdr["node_runs"] == 3
    assert cdr["trace"][-3]["outcome"] == "node_run_limit"
