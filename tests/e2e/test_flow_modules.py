"""Flow modules on the whole pipeline: a blind transfer re-routes the call for its new
number; wait_for_hangup holds the call until the caller leaves."""

from __future__ import annotations

import pytest

from api.errors import ValidationFailed
from kazoo_tasks.esl.emulator import script as s
from tests.e2e.conftest import TONE, node


def test_given_a_blind_transfer_when_the_call_parks_again_then_it_is_routed_for_the_new_number(
    stack, account
):
    account.callflow(["5200"], node("play", {"id": TONE}, then=node("hangup")))
    account.callflow(["5100"], node("answer", then=node("transfer", {"target": "5200"})))

    call = stack.emulator.place_call("5100", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [(c.app, c.args) for c in call.commands if c.kind == "execute"] == [
        ("answer", ""),
        ("transfer", "5200 XML context_2"),
        ("playback", TONE),
    ]
    cdr = account.wait_cdr(call.uuid)
    routes = [e for e in cdr["trace"] if e.get("step") == "route"]
    assert [e.get("note") for e in routes] == [None, "parked again for 5200", None]


def test_given_a_bad_transfer_target_when_saved_then_it_is_refused(account):
    with pytest.raises(ValidationFailed, match="flow.data.target"):
        account.callflow(["5300"], node("transfer", {"target": "5200\nhangup"}))


def test_given_wait_for_hangup_then_the_call_stays_until_the_caller_hangs_up(stack, account):
    account.callflow(["5400"], node("answer", then=node("wait_for_hangup")))

    call = stack.emulator.place_call(
        "5400", variables=account.variables, script=[s.after(50.0).hangup("NORMAL_CLEARING")]
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [c.app for c in call.commands] == ["answer"]
    assert account.wait_cdr(call.uuid)["hangup_cause"] == "NORMAL_CLEARING"
