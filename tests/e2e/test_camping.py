"""Camping on a busy extension (``camping_feature``), through the whole pipeline: the
supervisor dials ``*5`` + the agent's extension while the agent talks to a customer; she
hears that she is queued and hangs up; when the agent's call ends, the switch calls her
phone back (an originate), she answers and the agent's phone rings and answers: they
talk. A free extension is rung at once; a number that names nobody, or a caller who is no
phone of the account, is refused; a supervisor who does not answer the call back gets
nothing more."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from api.devices.resource import SPEC as DEVICES
from api.documents import DocumentService
from callflow.camping import (
    CampRequest,
    CampRequests,
    originate_command,
    origination_uuid,
    serve_freed,
)
from callflow.cdr_spool import cdr_spool
from callflow.live_calls import calls_with
from callflow.prompts import prompt
from callflow.runner import Publisher
from kazoo_tasks.celery_app import make_app
from kazoo_tasks.keys import camp_key, registration_key
from kazoo_tasks.testing import TestAccount, ValidationFailed
from kazoo_tasks.testing.stack import NODE_NAME
from kazoo_tasks.timers import TimerWheel
from tests.e2e.conftest import FLOOR_REALM, agent_on_the_call, from_phone, node
from tests.waiting import wait_for

QUEUED, DENIED = prompt("camper-queue"), prompt("camper-deny")


@pytest.fixture
def camp(stack, account, floor, redis_client) -> dict[str, str]:
    """The floor (the agent's phone answers, extension 2101) with the supervisor's phone
    registered and answering too, and the feature code ``*5`` + extension."""
    stack.emulator.register("7102", realm=FLOOR_REALM)
    stack.emulator.set_endpoint("sofia/*/7102@*", answer_after=0.2)
    key = registration_key(stack.settings.namespace, FLOOR_REALM, "7102")
    wait_for(lambda: redis_client.get(key), 15, "the supervisor's registration")
    flow = {"patterns": [r"^\*5([0-9]+)$"], "flow": node("camping_feature", {"timeout": 5})}
    account.callflows.create(account.id, {**flow, "name": "camping"})
    return floor


@pytest.fixture
def colleague(stack, store, account, floor, redis_client) -> str:
    """Extension 2104: a colleague's phone (7103) that answers."""
    doc = {"name": "colleague", "sip": {"username": "7103"}}
    phone = DocumentService(store, DEVICES).create(account.id, doc)["_id"]
    stack.emulator.register("7103", realm=FLOOR_REALM)
    stack.emulator.set_endpoint("sofia/*/7103@*", answer_after=0.2)
    key = registration_key(stack.settings.namespace, FLOOR_REALM, "7103")
    wait_for(lambda: redis_client.get(key), 15, "the colleague's registration")
    account.callflow(["2104"], node("device", {"id": phone}))
    return phone


def agent_calling_a_colleague(stack, account, floor, redis_client):
    agent = stack.emulator.place_call("2104", variables=from_phone(account, floor["phone"]))
    agent.wait_for_event("CHANNEL_BRIDGE", timeout=30)
    agent_on_the_call(stack, account, floor, redis_client)
    return agent


def customer_talking_to_the_agent(stack, account, floor, redis_client):
    customer = stack.emulator.place_call("2101", variables=account.variables)
    customer.wait_for_event("CHANNEL_BRIDGE", timeout=30)
    agent_on_the_call(stack, account, floor, redis_client)
    return customer


def played(call) -> list[str]:
    return [c.args for c in call.commands if c.app == "playback"]


def camp_keys(redis_client, stack, account: TestAccount) -> list[str]:
    pattern = camp_key(stack.settings.namespace, account.id, "*").replace("{", "\\{")
    return list(redis_client.scan_iter(pattern.replace("}", "\\}"), count=1000))


@pytest.mark.parametrize(
    ("extension", "busy"),
    [("2101", "called"), ("2103", "called"), ("2101", "calling")],
    ids=["device-called", "user-called", "device-calling"],
)
def test_given_a_busy_extension_when_the_supervisor_camps_on_it_then_she_is_called_back_and_talks_to_the_agent(  # noqa: E501
    stack, account, camp, colleague, redis_client, extension, busy
):
    account.callflow(["2103"], node("user", {"id": camp["agent"]}))
    if busy == "called":
        other = customer_talking_to_the_agent(stack, account, camp, redis_client)
    else:
        other = agent_calling_a_colleague(stack, account, camp, redis_client)
    dialed = f"*5{extension}"
    supervisor = stack.emulator.place_call(dialed, variables=from_phone(account, camp["chief"]))
    back = stack.emulator.expect_call(origination_uuid(supervisor.uuid))

    assert supervisor.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert played(supervisor) == [QUEUED]
    assert back.events == []  # nobody is called back while the agent talks
    other.hangup()

    back.wait_for_event("CHANNEL_BRIDGE", timeout=30)
    assert back.answered_at is not None and back.legs[0].answered_at is not None
    wait_for(
        lambda: (
            back.uuid in calls_with(redis_client, stack.settings, account.id, {camp["phone"]}, "")
        ),
        15,
        "the engine seeing the supervisor and the agent talk",
    )
    back.hangup()
    cdr = account.wait_cdr(back.uuid)
    assert (cdr["callee_id_name"], cdr["callee_id_number"]) == ("Camper", extension)
    assert [t["outcome"].split(":")[0] for t in cdr["trace"] if t.get("step") == "route"] == [
        "number"
    ]
    expected = "device" if extension == "2101" else "user"
    assert [t["module"] for t in cdr["trace"] if t.get("module")][:1] == [expected]
    assert camp_keys(redis_client, stack, account) == []


def test_given_a_free_extension_when_the_supervisor_camps_on_it_then_the_agent_rings_at_once(
    stack, account, camp
):
    supervisor = stack.emulator.place_call("*52101", variables=from_phone(account, camp["chief"]))

    supervisor.wait_for_event("CHANNEL_BRIDGE", timeout=30)
    assert supervisor.legs[0].answered_at is not None
    assert played(supervisor) == []
    supervisor.hangup()
    trace = account.wait_cdr(supervisor.uuid)["trace"]
    modules = [(t["module"], t.get("outcome")) for t in trace if t.get("module")]
    went_on = modules.index(("camping_feature", "continue_with:camping"))
    assert modules[went_on + 1][0] == "device", modules


@pytest.mark.parametrize(
    ("dialed", "caller", "why"),
    [
        ("*59999", "chief", "no callflow with extension 9999"),
        ("*52102", "chief", "extension 2102 is not a user or a device"),
        ("*52101", "nobody", "the caller is not an authorized phone"),
    ],
)
def test_given_a_camp_that_names_nobody_or_comes_from_no_phone_then_the_caller_is_refused(
    stack, account, camp, redis_client, dialed, caller, why
):
    account.callflow(["2102"], node("play", {"id": "tone_stream://%(100,0,440)"}))
    customer = customer_talking_to_the_agent(stack, account, camp, redis_client)
    variables = from_phone(account, camp[caller]) if caller in camp else account.variables

    call = stack.emulator.place_call(dialed, variables=variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert played(call) == [DENIED]
    assert why in [t.get("note") for t in account.wait_cdr(call.uuid)["trace"]]
    assert camp_keys(redis_client, stack, account) == []
    customer.hangup()


@pytest.mark.parametrize("timeout", [0, "soon", 100000])
def test_given_bad_camping_data_when_saved_then_it_is_refused(account, timeout):
    with pytest.raises(ValidationFailed, match="flow.data.timeout"):
        account.callflow(["*6"], node("camping_feature", {"timeout": timeout}))


def test_given_a_supervisor_who_does_not_answer_the_call_back_then_nothing_else_happens(
    stack, account, camp, redis_client
):
    stack.emulator.set_endpoint("sofia/*/7102@*", no_answer=True)
    customer = customer_talking_to_the_agent(stack, account, camp, redis_client)
    supervisor = stack.emulator.place_call("*52101", variables=from_phone(account, camp["chief"]))
    back = stack.emulator.expect_call(origination_uuid(supervisor.uuid))
    supervisor.wait_hangup(timeout=30)

    customer.hangup()

    assert back.wait_hangup(timeout=30) == "NO_ANSWER"
    assert "CHANNEL_ANSWER" not in back.events and "CHANNEL_PARK" not in back.events
    assert back.legs == []
    assert camp_keys(redis_client, stack, account) == []


def supervisor_camping_on_the_agent(stack, account, camp, redis_client) -> CampRequest:
    """The supervisor's request on the agent's phone, as the module stores it."""
    request = CampRequest(
        call_id="camping-call-1",
        account_id=account.id,
        realm=FLOOR_REALM,
        node=NODE_NAME,
        requester_id=camp["chief"],
        requester_type="device",
        number="2101",
        target_type="device",
        target_id=camp["phone"],
        devices=(camp["phone"],),
    )
    CampRequests(redis_client, stack.settings).add(request, 60)
    return request


def publisher_for(stack, redis_client) -> Publisher:
    """A worker's publisher (the real broker, ecallmgr's command queue)."""
    app = make_app(stack.settings, name="test-camping")
    return Publisher(app, TimerWheel(redis_client, stack.settings), cdr_spool(stack.settings))


def a_worker(stack, store, account, camp, redis_client) -> Callable[[], list[str]]:
    """What one worker's camp check does when the agent's phone is freed."""
    settings, publisher = stack.settings, publisher_for(stack, redis_client)
    return lambda: serve_freed(
        CampRequests(redis_client, settings),
        account.id,
        [camp["phone"]],
        store=store,
        client=redis_client,
        settings=settings,
        cache=None,
        publish=publisher.publish,
    )


def assert_called_back_once(stack, account, redis_client, back) -> None:
    back.wait_for_event("CHANNEL_BRIDGE", timeout=30)
    back.hangup()
    back.wait_hangup(timeout=30)
    assert back.events.count("CHANNEL_CREATE") == 1
    assert camp_keys(redis_client, stack, account) == []


def test_given_two_workers_that_see_the_target_free_at_once_then_the_supervisor_is_called_once(
    stack, store, account, camp, redis_client
):
    request = supervisor_camping_on_the_agent(stack, account, camp, redis_client)
    back = stack.emulator.expect_call(request.origination_uuid)
    serve = a_worker(stack, store, account, camp, redis_client)
    start, served = threading.Barrier(2), []

    def worker() -> None:
        start.wait()
        served.append(serve())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert ["camping-call-1"] in served
    assert_called_back_once(stack, account, redis_client, back)


def test_given_a_worker_that_died_after_calling_back_when_the_check_runs_again_then_she_is_called_once(  # noqa: E501
    stack, store, account, camp, redis_client
):
    request = supervisor_camping_on_the_agent(stack, account, camp, redis_client)
    back = stack.emulator.expect_call(request.origination_uuid)
    requests = CampRequests(redis_client, stack.settings)
    assert requests.claim(account.id, request.member) is not None
    command = originate_command(request, store, redis_client, stack.settings, None)
    publisher_for(stack, redis_client).publish([{"type": "command", "command": dict(command)}])
    # ... and died there, before forgetting the request: its task is delivered again
    serve = a_worker(stack, store, account, camp, redis_client)

    assert serve() == ["camping-call-1"]  # the same originate, published again
    assert serve() == []  # once done, nothing is left to serve
    assert_called_back_once(stack, account, redis_client, back)
