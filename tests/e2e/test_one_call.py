"""A single call through everything: what the switch receives, the CDR, no leftovers."""

from __future__ import annotations

import time

from tests.e2e.conftest import TONE, keys_of, node
from tests.waiting import wait_for


def test_given_a_callflow_for_1000_when_a_device_calls_it_then_the_switch_gets_answer_play_hangup_a_cdr_is_written_and_no_key_is_left(  # noqa: E501
    stack, account, redis_client
):
    callflow_id = account.callflow(
        ["1000"], node("answer", then=node("play", {"id": TONE}, then=node("hangup")))
    )

    call = stack.emulator.place_call("1000", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [(c.kind, c.app, c.args) for c in call.commands] == [
        ("execute", "answer", ""),
        ("execute", "playback", TONE),
        ("hangup", "", ""),
    ]
    cdr = wait_for(lambda: account.cdr(call.uuid), timeout=30.0, what="the CDR")
    assert cdr["callflow_id"] == callflow_id
    assert cdr["hangup_cause"] == "NORMAL_CLEARING"
    time.sleep(stack.settings.hangup_grace + 1)
    wait_for(lambda: not keys_of(redis_client, stack.settings, call.uuid), 10, "keys to expire")
