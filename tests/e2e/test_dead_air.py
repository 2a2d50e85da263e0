"""dead_air on the whole pipeline: the call is answered, what the switch sends the caller
is muted (``uuid_audio ... start write mute -4``, as Kazoo's ecallmgr sends it), and
the call is held, nothing after the node running, until the caller hangs up."""

from __future__ import annotations

from kazoo_tasks.esl.emulator import script as s
from tests.e2e.conftest import TONE, node


def test_given_dead_air_then_the_call_is_answered_muted_and_held_until_the_caller_hangs_up(
    stack, account
):
    account.callflow(["5600"], node("dead_air", then=node("play", {"id": TONE})))

    call = stack.emulator.place_call(
        "5600", variables=account.variables, script=[s.on_answer().wait(60).hangup()]
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    sent = [(c.kind, c.app, c.args) for c in call.commands]
    assert sent == [("execute", "answer", ""), ("api", "uuid_audio", "start write mute -4")]
    cdr = account.wait_cdr(call.uuid)
    notes = [e.get("note") for e in cdr["trace"] if e.get("module") == "dead_air"]
    assert "answered; nothing is sent to the caller until the call ends" in notes
    assert not [n for n in notes if n and "refused" in n]


def test_given_an_answered_call_then_dead_air_only_mutes_it(stack, account):
    flow = node("answer", then=node("dead_air", {"skip_module": False}))
    account.callflow(["5601"], flow)

    call = stack.emulator.place_call(
        "5601", variables=account.variables, script=[s.on_answer().wait(60).hangup()]
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [c.app for c in call.commands] == ["answer", "uuid_audio"]


def test_given_dead_air_skipped_then_the_flow_goes_on(stack, account):
    flow = node("dead_air", {"skip_module": True}, then=node("play", {"id": TONE}))
    account.callflow(["5602"], flow)

    call = stack.emulator.place_call("5602", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert "uuid_audio" not in [c.app for c in call.commands]
    assert "playback" in [c.app for c in call.commands]
