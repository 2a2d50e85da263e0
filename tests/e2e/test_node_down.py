"""A FreeSWITCH node that vanishes, and an ecallmgr that dies, under load.

The node's calls are closed with NODE_DOWN and a CDR once its ESL link has been gone for
``KAZOO_NODE_DOWN_GRACE`` (the beat role reaps them); a standby ecallmgr takes the node
over when the active one is SIGKILLed, and the calls go on."""

from __future__ import annotations

import pytest

from kazoo_tasks.testing import RoleProcess
from tests.e2e.conftest import node
from tests.e2e.test_load import stuck_calls
from tests.waiting import wait_for

pytestmark = pytest.mark.faults

LONG_TONE = "tone_stream://%(60000,0,440)"


def test_given_calls_up_when_their_switch_vanishes_then_they_are_closed_node_down_after_the_grace(
    stack_factory, account, tmp_path
):
    account.callflow(["8100"], node("answer", then=node("play", {"id": LONG_TONE})))
    overrides = {"node_down_grace": 2, "reap_interval": 0.5, "esl_reconnect_max_delay": 1.0}
    stack = stack_factory(overrides=overrides, time_scale=0.05)
    beat = RoleProcess(["beat"], stack.settings, tmp_path / "beat.log").start()
    try:
        calls = stack.emulator.place_calls(
            20, rate=100, destination="8100", variables=account.variables
        ).result(30)
        for call in calls:
            call.wait_for_command("playback", timeout=30)

        stack.emulator.stop()  # the switch is gone: no hangup will ever be reported

        cdrs = [wait_for(lambda c=call: account.cdr(c.uuid), 60, "the CDR") for call in calls]
        assert {cdr["hangup_cause"] for cdr in cdrs} == {"NODE_DOWN"}
        durations = [cdr["duration_seconds"] for cdr in cdrs]
        print(f"calls closed NODE_DOWN; durations {min(durations)}-{max(durations)} s")
    finally:
        beat.stop()


def test_given_an_active_and_a_standby_ecallmgr_when_the_active_dies_under_load_then_every_call_completes(  # noqa: E501
    stack_factory, account, tmp_path
):
    account.callflow(
        ["8200"],
        node(
            "answer", then=node("play", {"id": "tone_stream://%(3000,0,440)"}, then=node("hangup"))
        ),
    )
    stack = stack_factory(overrides={"esl_lease_ttl": 1.0}, time_scale=0.2)
    standby = RoleProcess(["ecallmgr"], stack.settings, tmp_path / "standby.log").start()
    try:
        wait_for(lambda: "standby" in standby.log(), 20, "the standby")
        placed: list[object] = []
        placing = stack.emulator.place_calls(
            100, rate=50, destination="8200", variables=account.variables, on_placed=placed.append
        )
        # kill mid-run: by call count placed, not by how many happen to be up at once
        wait_for(lambda: len(placed) >= 40, 20, "40 calls placed")
        stack.ecallmgr.kill()

        calls = placing.result(60)
        assert not stuck_calls(calls, 60)
        assert {call.hangup_cause for call in calls} == {"NORMAL_CLEARING"}
        settled = [line for line in standby.log().splitlines() if "command in flight" in line]
        print(f"the command in flight at the kill: {settled or 'none'}")
        for call in calls:
            own = [
                c.app
                for c in call.commands
                if c.kind in ("execute", "hangup") and not c.event_uuid.startswith("resync-")
            ]
            # each exactly once, the command in flight at the kill included: the switch's
            # written mark told the standby whether it had got there (docs/ecallmgr.md)
            sent = [(c.kind, c.app, c.event_uuid) for c in call.commands]
            assert own == ["answer", "playback", ""], (call.uuid, sent)
        assert "lease acquired" in standby.log()
    finally:
        standby.stop()
