"""Account webhooks (Kazoo's webhooks app) on the whole pipeline, against a real local
HTTP server: calls fire channel_create / channel_answer / channel_bridge /
channel_destroy, in order per call; a failing server gets its retries, then its hook is
disabled, shown so through the API with its attempts, and re-enabled by PATCH; document
changes fire the ``object`` hook; a parent's hook fires for sub-accounts only when asked;
a host the URL guard denies is never asked (a failed attempt), nor a redirect followed.
The webhooks queue has a worker of its own, as operations.md advises."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from api.app import create_app
from api.devices.resource import SPEC as DEVICES
from api.documents import DocumentService
from api.server import RunningServer, start_in_thread
from api.users.resource import SPEC as USERS
from api.webhooks.resource import SPEC as WEBHOOKS
from kazoo_tasks.webhooks.attempts import Attempts
from tests.crossbar import Crossbar
from tests.e2e.conftest import TONE, Account, node
from tests.e2e.test_bridging import Office
from tests.waiting import wait_for
from tests.web_server import Answer, Received, WebServer, serving

CHANNEL_EVENTS = ["channel_create", "channel_answer", "channel_bridge", "channel_destroy"]
QUICK = {"webhook_timeout": 2.0, "webhook_backoff": 0.1}


@pytest.fixture
def web_server() -> Iterator[WebServer]:
    yield from serving()


@pytest.fixture
def hook_stack(stack_factory):
    return stack_factory(QUICK, webhook_workers=1)


@pytest.fixture
def api_server(hook_stack, store) -> Iterator[RunningServer]:
    settings = hook_stack.settings.with_overrides(
        api_secret="e2e", api_auth_rate_limit="1000/minute"
    )
    running = start_in_thread(create_app(settings, store))
    yield running
    running.stop()


def hooks(store) -> DocumentService:
    return DocumentService(store, WEBHOOKS)


def event_of(request: Received) -> dict[str, str]:
    """A request's payload: JSON, or the form / query string Kazoo sends by default."""
    if request.headers.get("content-type") == "application/json":
        return json.loads(request.body)
    return request.form or request.query


def test_given_a_hook_per_channel_event_when_50_calls_are_bridged_then_each_call_fires_each_once_in_order(  # noqa: E501
    hook_stack, store, account, web_server
):
    office = Office(hook_stack, store, account)
    device_id = office.phone("1001")
    office.far_end("1001", answer_after=0.05, hangup_after=0.1)
    uri = web_server.answer("/calls", Answer(200))
    for hook in CHANNEL_EVENTS:
        data = {"name": hook, "hook": hook, "uri": uri, "custom_data": {"customer": "acme"}}
        if hook == "channel_bridge":
            data["format"] = "json"
        hooks(store).create(account.id, data)
    account.callflow(["3100"], node("device", {"id": device_id}))

    calls = [hook_stack.emulator.place_call("3100", variables=account.variables) for _ in range(50)]

    for call in calls:
        assert call.wait_hangup(timeout=60) == "NORMAL_CLEARING"
    wait_for(lambda: len(web_server.requests_to("/calls")) >= 200, 60, "200 deliveries")
    received = [event_of(r) for r in web_server.requests_to("/calls")]
    by_call: dict[str, list[str]] = {}
    for event in received:
        by_call.setdefault(event["call_id"], []).append(event["hook_event"])
    assert by_call == {call.uuid: CHANNEL_EVENTS for call in calls}
    assert all(e["account_id"] == account.id and e["customer"] == "acme" for e in received)
    destroy = next(e for e in received if e["hook_event"] == "channel_destroy")
    assert destroy["hangup_cause"] == "NORMAL_CLEARING"
    assert "billing_seconds" in destroy and "duration_seconds" in destroy
    bridge = next(e for e in received if e["hook_event"] == "channel_bridge")
    assert (
        bridge["other_leg_call_id"]
        == next(c for c in calls if c.uuid == bridge["call_id"]).legs[0].uuid
    )
    request = web_server.requests_to("/calls")[0]
    assert request.headers["x-account-id"] == account.id and request.headers["x-hook-id"]


def test_given_a_server_answering_500_then_each_event_is_tried_its_retries_then_the_hook_is_disabled_until_patched(  # noqa: E501
    hook_stack, store, account, web_server, api_server
):
    uri = web_server.answer("/broken", Answer(500, b"oops"))
    hook = hooks(store).create(
        account.id, {"name": "all events", "hook": "all", "uri": uri, "retries": 2}
    )
    account.callflow(["3200"], node("answer", then=node("play", {"id": TONE})))
    admin = Crossbar(api_server.url)
    admin.login(account.api_key)
    path = f"/accounts/{account.id}/webhooks"

    call = hook_stack.emulator.place_call("3200", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    shown = wait_for(
        lambda: (
            (doc := admin.get(f"{path}/{hook['_id']}").json()["data"])["enabled"] is False and doc
        ),
        30,
        "the hook disabled",
    )
    assert shown["disable_reason"] == "too many failed attempts"
    tried = [event_of(r)["hook_event"] for r in web_server.requests_to("/broken")]
    assert tried == ["channel_create"] * 2 + ["channel_answer"] * 2 + ["channel_destroy"] * 2
    attempts = admin.get(f"{path}/{hook['_id']}/attempts").json()["data"]
    assert [(a["hook_event"], a["result"], a["try"]) for a in reversed(attempts)] == [
        (event, "failure", attempt)
        for event in ("channel_create", "channel_answer", "channel_destroy")
        for attempt in (1, 2)
    ]
    reasons = {(a["reason"], a["resp_status_code"]) for a in attempts}
    assert reasons == {("bad response code", "500")}
    listed = admin.get(path).json()["data"]
    assert [h.get("disable_reason") for h in listed] == ["too many failed attempts"]

    refused = admin.patch(path, {"re-enable": False})
    assert refused.status_code == 400 and "re-enable" in refused.json()["data"]
    answer = admin.patch(path, {"re-enable": True})
    assert answer.status_code == 200, answer.text
    shown = admin.get(f"{path}/{hook['_id']}").json()["data"]
    assert shown["enabled"] is True and "disable_reason" not in shown
    web_server.answer("/broken", Answer(200))
    again = hook_stack.emulator.place_call("3200", variables=account.variables)

    assert again.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    wait_for(
        lambda: (
            [a["result"] for a in admin.get(f"{path}/attempts").json()["data"][:3]]
            == ["success"] * 3
        ),
        30,
        "three successful deliveries",
    )
    fired = [event_of(r) for r in web_server.requests_to("/broken")][6:]
    assert [(e["call_id"], e["hook_event"]) for e in fired] == [
        (again.uuid, "channel_create"), (again.uuid, "channel_answer"),
        (again.uuid, "channel_destroy"),
    ]  # fmt: skip


def test_given_an_object_hook_for_users_when_users_and_devices_change_then_only_the_users_changes_fire(  # noqa: E501
    stack_factory, store, account, web_server
):
    stack_factory(QUICK, changes=True, webhook_workers=1)
    uri = web_server.answer("/objects", Answer(200))
    custom = {"type": "user", "action": "all"}
    hooks(store).create(
        account.id, {"name": "users", "hook": "object", "uri": uri, "custom_data": custom}
    )
    users = DocumentService(store, USERS)

    def seen(count: int) -> list[Received]:
        # the change feed shows a document's latest revision: one change at a time
        return wait_for(
            lambda: (got := web_server.requests_to("/objects")) and len(got) >= count and got,
            60,
            f"{count} user changes",
        )

    user = users.create(account.id, {"first_name": "Ann", "last_name": "Example"})
    DocumentService(store, DEVICES).create(account.id, {"name": "desk"})
    seen(1)
    users.patch(account.id, user["_id"], {"first_name": "Anne"})
    seen(2)
    users.delete(account.id, user["_id"])
    received = seen(3)

    events = [event_of(r) for r in received]
    assert sorted(e["action"] for e in events) == ["doc_created", "doc_deleted", "doc_edited"]
    assert {(e["hook_event"], e["type"], e["id"], e["account_id"]) for e in events} == {
        ("object", "user", user["_id"], account.id)
    }


def test_given_a_parents_hooks_then_only_the_one_including_subaccounts_fires_for_a_childs_call(
    hook_stack, store, web_server
):
    parent = Account(store, "Reseller")
    child = Account(store, "Customer", parent_id=parent.id)
    inherited = web_server.answer("/inherited", Answer(200))
    own = web_server.answer("/own-only", Answer(200))
    hooks(store).create(
        parent.id,
        {"name": "all", "hook": "channel_create", "uri": inherited, "include_subaccounts": True},
    )
    hooks(store).create(parent.id, {"name": "mine", "hook": "channel_create", "uri": own})
    child.callflow(["3300"], node("play", {"id": TONE}))

    call = hook_stack.emulator.place_call("3300", variables=child.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    [fired] = wait_for(lambda: web_server.requests_to("/inherited"), 30, "the parent's hook")
    assert (fired.form["call_id"], fired.form["account_id"]) == (call.uuid, child.id)
    child.wait_cdr(call.uuid)
    assert web_server.requests_to("/own-only") == []


def test_given_hooks_to_hosts_the_workers_guard_denies_then_each_try_is_a_failed_attempt_without_a_request(  # noqa: E501
    stack_factory, store, account, web_server, redis_client
):
    stack = stack_factory({**QUICK, "pivot_allow_networks": ""}, webhook_workers=1)
    by_address = web_server.answer("/by-address", Answer(200))  # saved while loopback is
    name = socket.gethostname()  # allowed here; a name resolving to this machine
    by_name = web_server.answer("/by-name", Answer(200)).replace("127.0.0.1", name)
    for uri in (by_address, by_name):
        hooks(store).create(
            account.id, {"name": uri, "hook": "channel_create", "uri": uri, "retries": 2}
        )
    account.callflow(["3400"], node("play", {"id": TONE}))

    call = stack.emulator.place_call("3400", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    attempts = Attempts(redis_client, stack.settings.namespace)
    found = wait_for(
        lambda: len(got := attempts.list(account.id)) == 4 and got, 30, "two tries of each hook"
    )
    assert {(a["uri"], a["try"], a["result"]) for a in found} == {
        (uri, attempt, "failure") for uri in (by_address, by_name) for attempt in (1, 2)
    }
    assert all(
        a["call_id"] == call.uuid and "is in a blacklisted network" in a["client_error"]
        and "resp_status_code" not in a
        for a in found
    )  # fmt: skip
    assert web_server.requests_to("/by-address") == web_server.requests_to("/by-name") == []


def test_given_a_server_redirecting_to_a_denied_host_then_the_redirect_is_not_followed(
    hook_stack, store, account, web_server, redis_client
):
    metadata = "http://169.254.169.254/latest/meta-data/"
    uri = web_server.answer("/redirect", Answer(302, b"", headers={"Location": metadata}))
    hooks(store).create(
        account.id, {"name": "r", "hook": "channel_create", "uri": uri, "retries": 1}
    )
    account.callflow(["3401"], node("play", {"id": TONE}))

    call = hook_stack.emulator.place_call("3401", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    attempts = Attempts(redis_client, hook_stack.settings.namespace)
    [attempt] = wait_for(lambda: attempts.list(account.id), 30, "the attempt")
    assert (attempt["result"], attempt["reason"], attempt["resp_status_code"]) == (
        "failure", "bad response code", "302",
    )  # fmt: skip
    assert len(web_server.requests_to("/redirect")) == 1
