"""Modules come from the entry-point group: a module installed beside the core (here a
crashing one, registered by a dist-info directory on sys.path) runs with no core change."""

from __future__ import annotations

import pytest

from callflow import registry
from tests.callflow.conftest import ACCOUNT_ID, cdr_of, node
from tests.module_dist import installed_modules
from tests.waiting import wait_for

PLUGIN = """
from callflow.module import CallflowModule


class Crash(CallflowModule):
    def start(self, ctx):
        ctx.execute("playback", "tone_stream://before-crash")
        raise RuntimeError("module bug")
"""


@pytest.fixture
def crash_module(tmp_path):
    """Install a ``crash`` module the way a third-party distribution would."""
    with installed_modules(tmp_path, "crashing_module", PLUGIN, {"crash": "crashing_module:Crash"}):
        yield "crash"


def test_given_an_installed_module_that_raises_when_reached_then_the_call_continues_to_its_wildcard_child(  # noqa: E501
    crash_module, worker, switch, save_callflow, documents
):
    assert crash_module in registry.module_names()
    flow = node(crash_module, _=node("play", {"id": "tone_stream://after", "answer": False}))
    save_callflow("cf-crash", flow, ["5000"])

    call_id = switch.park("5000", account_id=ACCOUNT_ID)

    assert switch.wait_ended([call_id]) == []
    assert switch.apps(call_id) == [
        "playback tone_stream://before-crash",
        "playback tone_stream://after",
        "hangup NORMAL_CLEARING",
    ]
    cdr = wait_for(lambda: cdr_of(documents, call_id))
    crashed = [t for t in cdr["trace"] if t.get("module") == crash_module]
    assert crashed[0]["note"] == "crashed: RuntimeError('module bug')"
    assert crashed[0]["outcome"] == "continue:_"
