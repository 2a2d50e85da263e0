"""Camp requests in Redis (:mod:`callflow.camping`) and the originate command that serves
them: a request expires after its timeout and is then never served, asking again keeps
one request in its place in line, a claim is taken once, and the originate frame holds
nothing that was not checked."""

from __future__ import annotations

import pytest
import redis
from marshmallow import ValidationError

from callflow.camping import CampRequest, CampRequests, serve_freed
from kazoo_tasks.commands import render_command
from kazoo_tasks.keys import camp_key
from tests.waiting import wait_for


@pytest.fixture
def client(settings):
    client = redis.Redis.from_url(settings.redis_url or "", decode_responses=True)
    yield client
    client.close()


def a_request(requester: str = "dev-a", call_id: str = "call-1") -> CampRequest:
    return CampRequest(
        call_id=call_id,
        account_id="acct1",
        realm="sip.example.net",
        node="fs1",
        requester_id=requester,
        requester_type="device",
        number="2101",
        target_type="user",
        target_id="user-b",
        devices=("dev-b1", "dev-b2"),
    )


def serve(requests: CampRequests, settings, devices: list[str]) -> tuple[list[str], list]:
    published: list = []
    served = serve_freed(
        requests,
        "acct1",
        devices,
        store=None,  # type: ignore[arg-type]  # no originate is built when nothing is served
        client=requests.client,
        settings=settings,
        cache=None,
        publish=published.extend,
    )
    return served, published


def test_given_a_request_past_its_timeout_when_the_target_frees_then_nobody_is_called(
    settings, client
):
    requests = CampRequests(client, settings)
    requests.add(a_request(), ttl=1)
    assert requests.watched("acct1", ["dev-b2", "dev-x"])

    wait_for(lambda: not client.exists(camp_key(settings.namespace, "acct1", "req:dev-a:user-b")))
    served, published = serve(requests, settings, ["dev-b1"])

    assert (served, published) == ([], [])
    assert requests.waiting("acct1", "dev-b1") == []


def test_given_a_requester_who_asks_again_then_one_request_keeps_its_place(settings, client):
    requests = CampRequests(client, settings)
    requests.add(a_request("dev-a", "call-1"), ttl=60)
    requests.add(a_request("dev-c", "call-2"), ttl=60)
    requests.add(a_request("dev-a", "call-3"), ttl=60)

    assert requests.waiting("acct1", "dev-b1") == ["dev-a:user-b", "dev-c:user-b"]
    pending, claimed = requests.peek("acct1", "dev-a:user-b")
    assert pending is not None and pending.call_id == "call-3" and not claimed


def test_given_a_request_when_claimed_twice_then_only_the_first_claim_is_new(settings, client):
    requests = CampRequests(client, settings)
    requests.add(a_request(), ttl=60)

    first = requests.claim("acct1", "dev-a:user-b")
    second = requests.claim("acct1", "dev-a:user-b")
    requests.forget("acct1", "dev-a:user-b", ["dev-b1", "dev-b2"])

    assert first is not None and first[0] == "new"
    assert second is not None and second[0] == "again" and second[1] == first[1]
    assert requests.claim("acct1", "dev-a:user-b") is None
    assert not requests.watched("acct1", ["dev-b1", "dev-b2"])


ORIGINATE = {
    "id": "cmd-1",
    "call_id": "5b0c8f1e-1111-4222-8333-944455556666",
    "node": "fs1",
    "kind": "originate",
    "args": "[ecallmgr_Account-ID=acct1]sofia/sipinterface_1/7102@127.0.0.1:5062",
    "destination": "2101",
    "context": "context_2",
    "timeout": 30,
}


def test_given_an_originate_command_then_it_is_one_bgapi_frame_with_our_uuid():
    frame = render_command(ORIGINATE)

    assert frame == (
        b"bgapi originate {origination_uuid=5b0c8f1e-1111-4222-8333-944455556666,"
        b"originate_timeout=30}[ecallmgr_Account-ID=acct1]sofia/sipinterface_1/"
        b"7102@127.0.0.1:5062 2101 XML context_2\n\n"
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"args": "sofia/x/7102@h &system(rm)"}, "args"),
        ({"args": "sofia/x/${api(x)}"}, "args"),
        ({"destination": "2101 XML evil"}, "destination"),
        ({"context": "ctx\nexit"}, "context"),
        ({"timeout": None}, "timeout"),
    ],
)
def test_given_an_originate_with_unchecked_values_then_it_is_refused(change, field):
    command = {k: v for k, v in {**ORIGINATE, **change}.items() if v is not None}

    with pytest.raises(ValidationError) as refused:
        render_command(command)
    assert field in refused.value.messages
