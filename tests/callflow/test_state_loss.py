"""A call whose state Redis lost (restarted without persistence, flushed) ends cleanly."""

from __future__ import annotations

import redis

from kazoo_tasks.keys import call_key_pattern
from tests.callflow.conftest import ACCOUNT_ID, cdr_of, node
from tests.waiting import wait_for


def test_given_a_call_whose_state_is_lost_when_its_next_event_comes_then_it_is_hung_up_with_a_cdr(
    worker, switch, save_callflow, documents, settings
):
    save_callflow("cf-play", node("answer", _=node("play", {"id": "tone_stream://long"})), ["2000"])
    switch.hold_apps = {"playback"}
    call_id = switch.park("2000", account_id=ACCOUNT_ID)
    wait_for(lambda: "playback tone_stream://long" in switch.apps(call_id), what="the playback")
    playback = switch.executed[call_id][-1]

    client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    for key in list(client.scan_iter(call_key_pattern(settings.namespace, call_id))):
        client.delete(key)  # what a Redis restart without persistence does to the call
    headers = {"Unique-ID": call_id, "variable_ecallmgr_Account-ID": ACCOUNT_ID}
    switch.deliver(
        switch.event(
            call_id,
            "CHANNEL_EXECUTE_COMPLETE",
            application_name="playback",
            application_uuid=playback["id"],
            headers=headers,
        )
    )

    assert switch.wait_ended([call_id]) == []
    assert switch.apps(call_id)[-1] == "hangup NORMAL_TEMPORARY_FAILURE"
    cdr = wait_for(lambda: cdr_of(documents, call_id), what="the CDR in the account")
    assert cdr["hangup_cause"] == "NORMAL_TEMPORARY_FAILURE"
    assert [e["step"] for e in cdr["trace"]][0] == "state_lost"
