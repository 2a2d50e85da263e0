"""What an admin sees of live calls and ended ones, through the real API over HTTP with
calls on the emulator: Kazoo's ``users/{id}/channels`` and ``devices/{id}/channels``
list the calls of one user or device (calling, or rung), each at its callflow node path,
and the API's ``/metrics`` counts the account's live calls; an ended call's CDR reads as
a ladder of lanes (``cdrs/{id}/ladder``)."""

from __future__ import annotations

from api.server import RunningServer
from kazoo_tasks.esl.emulator import Credentials
from kazoo_tasks.testing.scrape import scrape, value
from tests.crossbar import LoggedIn, new_account
from tests.e2e.conftest import node
from tests.waiting import wait_for

REALM = "live.sip.example.net"
LONG_TONE = "tone_stream://%(3600000,0,440)"  # an hour, emulated: the call stays in play


def _created(admin: LoggedIn, kind: str, data: dict) -> str:
    answer = admin.client.put(f"/accounts/{admin.id}/{kind}", data)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]["id"]


def _person(admin: LoggedIn, name: str, extension: str) -> tuple[str, str]:
    """A user and the phone it owns (SIP user ``extension``, password ``<extension>-pw``)."""
    user = _created(admin, "users", {"first_name": name, "last_name": "Example"})
    sip = {"username": extension, "password": f"{extension}-pw"}
    return user, _created(
        admin, "devices", {"name": f"{name}'s desk", "owner_id": user, "sip": sip}
    )


def _uuids(admin: LoggedIn, path: str) -> list[str]:
    answer = admin.client.get(f"/accounts/{admin.id}/{path}")
    assert answer.status_code == 200, answer.text
    return [channel["uuid"] for channel in answer.json()["data"]]


def test_given_calls_of_two_users_when_their_channels_are_listed_then_each_sees_its_own_call_at_its_node_and_the_cdr_reads_as_a_ladder(  # noqa: E501
    stack, store, api_server
):
    admin = new_account(store, api_server, realm=REALM)
    alice, desk_a = _person(admin, "Alice", "1001")
    bob, desk_b = _person(admin, "Bob", "1002")
    flow = node("answer", then=node("play", {"id": LONG_TONE}))
    playing = _created(admin, "callflows", {"numbers": ["2001"], "flow": flow})
    flow = node("device", {"id": desk_b, "timeout": 20})
    ringing = _created(admin, "callflows", {"numbers": ["3002"], "flow": flow})
    emulator = stack.emulator
    assert emulator.register("1002", realm=REALM, password="1002-pw") == 200
    emulator.set_endpoint("sofia/*/1002@*", answer_after=0.0)  # Bob answers, stays on
    wait_for(lambda: admin.client.get(f"/accounts/{admin.id}/registrations").json()["data"], 15,
             "Bob's registration")  # fmt: skip

    from_alice = emulator.place_call(
        "2001", caller_id_number="1001", credentials=Credentials("1001", "1001-pw", REALM)
    )
    to_bob = emulator.place_call("3002", variables={"ecallmgr_Account-ID": admin.id})
    from_alice.wait_for_command("playback", timeout=30)
    bob_leg = to_bob.wait_for_leg(timeout=30)
    wait_for(lambda: len(_uuids(admin, "channels")) == 2, 15, "both calls listed")
    wait_for(lambda: _uuids(admin, f"devices/{desk_b}/channels"), 15, "Bob's leg noted")
    assert _account_calls(api_server, admin.id) == 2

    assert _uuids(admin, f"users/{alice}/channels") == [from_alice.uuid]
    assert _uuids(admin, f"devices/{desk_a}/channels") == [from_alice.uuid]
    assert _uuids(admin, f"users/{bob}/channels") == [to_bob.uuid]
    assert _uuids(admin, f"devices/{desk_b}/channels") == [to_bob.uuid]
    alices = admin.client.get(f"/accounts/{admin.id}/users/{alice}/channels").json()["data"][0]
    assert (alices["owner_id"], alices["authorizing_id"], alices["authorizing_type"]) == (
        alice,
        desk_a,
        "device",
    )
    assert (alices["node_path"], alices["module"]) == (f"{playing}:_", "play")
    bobs = admin.client.get(f"/accounts/{admin.id}/devices/{desk_b}/channels").json()["data"][0]
    assert (bobs["node_path"], bobs["module"], bobs["devices"]) == (
        f"{ringing}:",
        "device",
        [desk_b],
    )
    missing = admin.client.get(f"/accounts/{admin.id}/users/{desk_a}/channels")
    assert missing.status_code == 404  # a device id is no user

    to_bob.hangup()
    from_alice.hangup()
    wait_for(lambda: _uuids(admin, "channels") == [], 15, "the calls gone")
    assert _account_calls(api_server, admin.id) == 0
    cdr = wait_for(lambda: _cdr_of(admin, to_bob.uuid), 30, "the CDR")
    answer = admin.client.get(f"/accounts/{admin.id}/cdrs/{cdr}/ladder")

    assert answer.status_code == 200, answer.text
    ladder = answer.json()["data"]
    assert ladder["call_id"] == to_bob.uuid and ladder["cdr_id"] == cdr
    assert ladder["lanes"] == ["freeswitch", "callflow", f"leg:{bob_leg.uuid}"]
    rungs = ladder["rungs"]
    print("\n".join(r["line"] for r in rungs))
    assert rungs[0]["source"] == "freeswitch" and rungs[0]["what"] == "CHANNEL_PARK"
    assert (rungs[0]["step"], rungs[0]["outcome"]) == ("route", f"number:{ringing}")
    assert any(r["source"] == f"leg:{bob_leg.uuid}" and r["what"] == "CHANNEL_ANSWER"
               for r in rungs)  # fmt: skip
    assert rungs[-1]["what"] == "CHANNEL_HANGUP_COMPLETE"
    assert [r["at_ms"] for r in rungs] == sorted(r["at_ms"] for r in rungs)
    assert all(r["line"].strip() for r in rungs)
    assert admin.client.get(f"/accounts/{admin.id}/cdrs/nope/ladder").status_code == 404


def _cdr_of(admin: LoggedIn, call_id: str) -> str | None:
    listed = admin.client.get(f"/accounts/{admin.id}/cdrs").json()["data"]
    return next((c["id"] for c in listed if c["call_id"] == call_id), None)


def _account_calls(api_server: RunningServer, account_id: str) -> float:
    samples = scrape(f"{api_server.url}/metrics")
    return value(samples, "kazoo_calls_active_by_account", account_id=account_id)
