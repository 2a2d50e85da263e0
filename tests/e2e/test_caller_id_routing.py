"""``route_to_cid`` on the whole pipeline: a pattern callflow rings whichever phone has the
dialed extension as its internal caller id, with no callflow per extension (Kazoo's
documented example); a number nobody has goes to ``_``."""

from __future__ import annotations

from tests.e2e.conftest import TONE, node
from tests.e2e.test_bridging import Office

KAZOO_EXAMPLE = {
    "cid_types": ["internal"],
    "endpoint_types": ["device", "user"],
    "timeout": 60,
    "can_call_self": True,
    "delay": 0,
}
"""The data of Kazoo's route_to_cid.md callflow (whose pattern is ``^([0-9]{3,4})$``)."""


def test_given_route_to_cid_then_the_phone_with_that_internal_caller_id_rings(
    stack, store, account
):
    office = Office(stack, store, account)
    bob = office.user("Bob")
    office.users.patch(account.id, bob, {"caller_id": {"internal": {"number": "2002"}}})
    office.phone("1051", owner=bob)
    desk = office.phone("1052")
    office.devices.patch(account.id, desk, {"caller_id": {"external": {"number": "2002"}}})
    office.far_end("1051", answer_after=0.1, hangup_after=0.3)
    office.far_end("1052", answer_after=0.1, hangup_after=0.3)
    flow = node("route_to_cid", KAZOO_EXAMPLE, node("play", {"id": TONE}))
    account.callflows.create(
        account.id,
        {"name": "extensions", "numbers": [], "patterns": ["^([0-9]{4})$"], "flow": flow},
    )

    reached = stack.emulator.place_call("2002", variables=account.variables)
    nobody = stack.emulator.place_call("2003", variables=account.variables)

    assert reached.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert nobody.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    [dial] = [c.args for c in reached.commands if c.app == "bridge"]
    assert "1051@" in dial and "1052@" not in dial  # internal only: not the desk's external
    assert "leg_timeout=60" in dial
    assert [c.app for c in nobody.commands if c.app in ("bridge", "playback")] == ["playback"]
