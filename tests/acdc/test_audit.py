"""The double-booking check the benchmark and the tests rely on."""

from __future__ import annotations

from acdc.audit import double_bookings


def change(agent: str, event: str, to: str, call: str = "") -> dict[str, str]:
    return {"agent": agent, "event": event, "to": to, "call": call}


def test_given_an_agent_offered_again_after_its_call_then_no_double_booking():
    events = [
        {"event": "enter", "call": "c1"},
        change("ann", "offer", "ringing", "c1"),
        change("ann", "connect", "answered"),
        change("ann", "hangup", "wrapup"),
        change("ann", "offer", "ringing", "c2"),
    ]
    assert double_bookings(events) == []


def test_given_an_agent_offered_while_it_talks_then_it_is_reported():
    events = [
        change("ann", "offer", "ringing", "c1"),
        change("ann", "connect", "answered"),
        change("ann", "offer", "ringing", "c2"),
    ]
    assert double_bookings(events) == ["agent ann offered c2 during c1"]
