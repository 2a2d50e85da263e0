"""The bridge's outcome read from what a real FreeSWITCH 1.10.12 sent: the A leg's
CHANNEL_EXECUTE_COMPLETE of ``bridge`` in each recorded bridge_app_* transcript."""

from __future__ import annotations

import pytest

from callflow.legs import ANSWERED, CALLER_GONE, FAILED, bridge_result
from kazoo_tasks.esl.frames import FrameReader, parse_event_plain
from kazoo_tasks.events import call_event_from_plain
from tests.conftest import FREESWITCH_FIXTURES


def bridge_completion(scenario: str):
    """The A leg's bridge completion (and the B legs' ids) of a recorded scenario."""
    frames = FrameReader().feed(
        (FREESWITCH_FIXTURES / f"bridge_app_{scenario}.plain.txt").read_bytes()
    )
    events = [
        call_event_from_plain(parse_event_plain(f.body), "fs1", 0.0)
        for f in frames
        if f.content_type == "text/event-plain"
    ]
    done = next(
        e for e in events
        if e["name"] == "CHANNEL_EXECUTE_COMPLETE" and e.get("application_name") == "bridge"
    )  # fmt: skip
    legs = {
        e["headers"].get("Caller-Destination-Number", e["call_id"]): e["call_id"]
        for e in events
        if e["headers"].get("variable_originating_leg_uuid") == done["call_id"]
    }
    return done, legs


@pytest.mark.parametrize(
    ("scenario", "status", "cause", "sip_code", "answered_by"),
    [
        ("answer", ANSWERED, "", "", "bob"),
        ("simring", ANSWERED, "", "", "bob"),
        ("failover", ANSWERED, "", "", "carol"),
        ("busy", FAILED, "USER_BUSY", "486", None),
        ("no_answer", FAILED, "ALLOTTED_TIMEOUT", "", None),
        ("call_timeout", FAILED, "NO_ANSWER", "", None),
        ("caller_cancel", CALLER_GONE, "ORIGINATOR_CANCEL", "", None),
    ],
)
def test_given_a_recorded_bridge_when_its_completion_is_read_then_the_outcome_is_the_switchs(
    scenario, status, cause, sip_code, answered_by
):
    done, legs = bridge_completion(scenario)

    result = bridge_result(done)

    assert (result.status, result.cause, result.sip_code) == (status, cause, sip_code)
    if answered_by:
        assert result.other_leg == legs[answered_by]
