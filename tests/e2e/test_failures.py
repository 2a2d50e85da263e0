"""Failures around a call: the switch connection drops, callflow data is wrong."""

from __future__ import annotations

from tests.e2e.conftest import TONE, node
from tests.waiting import wait_for

LONG_TONE = "tone_stream://%(60000,0,440)"  # 60 s of tone: 3 s at the emulator's speed here,
# so that every playback is still running across the cut even on a loaded machine


def test_given_calls_playing_when_the_esl_connection_is_cut_then_ecallmgr_reconnects_and_the_calls_go_on(  # noqa: E501
    stack_factory, account
):
    account.callflow(
        ["4000"], node("answer", then=node("play", {"id": LONG_TONE}, then=node("hangup")))
    )
    stack = stack_factory(overrides={"esl_reconnect_max_delay": 0.5}, time_scale=0.05)
    calls = stack.emulator.place_calls(
        20, rate=200, destination="4000", variables=account.variables
    ).result(30)
    for call in calls:
        call.wait_for_command("playback", timeout=30)
    first_listener = next(iter(stack.emulator.switch.listeners))

    assert stack.emulator.cut_connections(refuse_for=0.2) >= 1
    wait_for(
        lambda: any(c is not first_listener for c in stack.emulator.switch.listeners),
        10,
        "ecallmgr to reconnect and subscribe again",
    )

    assert [call.wait_hangup(timeout=30) for call in calls] == ["NORMAL_CLEARING"] * len(calls)
    for call in calls:
        probes = [c for c in call.commands if (c.event_uuid or "").startswith("resync-")]
        call_commands = [(c.kind, c.app) for c in call.commands if c not in probes]
        assert call_commands == [("execute", "answer"), ("execute", "playback"), ("hangup", "")]
        # after reconnecting, ecallmgr queued a probe behind each playback still running
        assert [(c.kind, c.app) for c in probes] == [("execute", "set")]


def test_given_an_unknown_module_in_a_callflow_when_called_then_the_call_continues_past_it(
    stack, account, store
):
    flow = node(
        "answer",
        then=node("no_such_module", {"x": 1}, then=node("play", {"id": TONE}, then=node("hangup"))),
    )
    # the API refuses such a flow at save time; it can still reach the store directly
    # (an edit in CouchDB, a module uninstalled after the save)
    account_db = account.store
    from kazoo_tasks.docstore import account_db as db_name

    account_db.save(
        db_name(account.id), {"pvt_type": "callflow", "numbers": ["5000"], "flow": flow}
    )

    call = stack.emulator.place_call("5000", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [(c.kind, c.app) for c in call.commands] == [
        ("execute", "answer"),
        ("execute", "playback"),
        ("hangup", ""),
    ]


def test_given_a_callflow_that_branches_into_itself_when_called_then_the_branch_limit_ends_the_call(  # noqa: E501
    stack, account
):
    loop_id = account.callflow(["6000"], node("answer"))
    account.callflows.patch(
        account.id, loop_id, {"flow": node("answer", then=node("callflow", {"id": loop_id}))}
    )

    call = stack.emulator.place_call("6000", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [(c.kind, c.app) for c in call.commands] == [("execute", "answer"), ("hangup", "")]
    cdr = wait_for(lambda: account.cdr(call.uuid), timeout=30.0, what="the CDR")
    outcomes = [entry.get("outcome", "") for entry in cdr["trace"]]
    branches = [o for o in outcomes if o.startswith(f"branch:{loop_id}")]
    assert len(branches) == stack.settings.branch_limit + 1
    assert "branch_limit" in outcomes
