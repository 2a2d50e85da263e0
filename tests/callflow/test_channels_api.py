"""``/channels`` shows the live calls the engine runs (read from its Redis state) to the
accounts that own them and their ancestors, with Kazoo's channel fields and where in its
callflow each call is; a call that hangs up is gone from the list."""

from __future__ import annotations

from tests.callflow.conftest import node
from tests.crossbar import LoggedIn, new_account
from tests.waiting import wait_for

TONE = "tone_stream://%(1000,0,440)"


def _callflow(owner: LoggedIn, number: str) -> str:
    flow = node("answer", _=node("play", {"id": TONE}))
    answer = owner.client.put(
        f"/accounts/{owner.id}/callflows", {"numbers": [number], "flow": flow}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]["id"]


def _uuids(who: LoggedIn, account_id: str) -> list[str]:
    return [c["uuid"] for c in who.client.get(f"/accounts/{account_id}/channels").json()["data"]]


def _status(who: LoggedIn, account_id: str, call_id: str) -> int:
    return who.client.get(f"/accounts/{account_id}/channels/{call_id}").status_code


def _playing(switch, call_id: str) -> bool:
    return f"playback {TONE}" in switch.apps(call_id)


def test_given_calls_in_an_account_its_child_and_a_stranger_when_channels_are_listed_then_each_sees_its_own_and_its_descendants(  # noqa: E501
    worker, switch, api_account, documents, api_server
):
    parent = api_account
    child = new_account(documents, api_server, parent=parent.id)
    stranger = new_account(documents, api_server)
    flows = {who.id: _callflow(who, "2001") for who in (parent, child, stranger)}
    switch.hold_apps.add("playback")  # the calls stay in their play node
    calls = {who.id: switch.park("2001", account_id=who.id) for who in (parent, child, stranger)}
    wait_for(lambda: all(_playing(switch, call_id) for call_id in calls.values()))

    listed = parent.client.get(f"/accounts/{parent.id}/channels")
    assert listed.status_code == 200, listed.text
    channels = listed.json()["data"]
    assert {c["uuid"] for c in channels} == {calls[parent.id], calls[child.id]}
    mine = next(c for c in channels if c["uuid"] == calls[parent.id])
    assert mine == {
        "uuid": calls[parent.id],
        "account_id": parent.id,
        "direction": "inbound",
        "caller_id_name": "Alice Example",
        "caller_id_number": "+14155550100",
        "callee_id_name": "",
        "callee_id_number": "",
        "destination": "2001",
        "request": "2001@127.0.0.1",
        "answered": True,
        "timestamp": mine["timestamp"],
        "elapsed_s": mine["elapsed_s"],
        "node": "fs1",
        "status": "active",
        "callflow_id": flows[parent.id],
        "node_path": f"{flows[parent.id]}:_",
        "module": "play",
    }
    assert mine["timestamp"] > 63_000_000_000 and 0 <= mine["elapsed_s"] < 30

    assert _uuids(child, child.id) == [calls[child.id]]
    assert child.client.get(f"/accounts/{parent.id}/channels").status_code == 403
    assert _uuids(stranger, stranger.id) == [calls[stranger.id]]

    one = parent.client.get(f"/accounts/{parent.id}/channels/{calls[child.id]}")
    assert one.status_code == 200 and one.json()["data"]["account_id"] == child.id
    assert _status(parent, parent.id, calls[stranger.id]) == 404
    assert _status(parent, parent.id, "no-such-call") == 404

    switch.hang_up(calls[parent.id])
    wait_for(lambda: _uuids(parent, parent.id) == [calls[child.id]])
    for call_id in calls.values():
        switch.hang_up(call_id)
