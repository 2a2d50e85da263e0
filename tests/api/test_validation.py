"""Bad documents are refused with 400 and Kazoo's error data naming the bad field, and
nothing is stored."""

from __future__ import annotations

from typing import Any

import requests

from kazoo_tasks.docstore import account_db
from tests.crossbar import LoggedIn

RING_ID = "a" * 32


def _errors(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["status"] == "error" and body["error"] == "400"
    assert body["message"] == "validation error"
    return body["data"]


def _count(root: LoggedIn, resource: str) -> int:
    return len(root.client.get(f"/accounts/{root.id}/{resource}").json()["data"])


def test_given_a_wrong_type_when_creating_a_user_then_400_names_the_field(root: LoggedIn) -> None:
    answer = root.client.put(
        f"/accounts/{root.id}/users",
        {"first_name": 42, "last_name": "L", "caller_id": {"internal": {"number": True}}},
    )
    errors = _errors(answer)
    assert set(errors["first_name"]) == {"type"}
    assert set(errors["caller_id.internal.number"]) == {"type"}
    assert _count(root, "users") == 0


def test_given_a_missing_required_field_when_creating_then_400_required(root: LoggedIn) -> None:
    errors = _errors(root.client.put(f"/accounts/{root.id}/vmboxes", {"name": "box"}))
    assert errors == {"mailbox": {"required": {"message": "Missing data for required field."}}}


def test_given_limits_and_enums_when_broken_then_each_rule_is_named(root: LoggedIn) -> None:
    errors = _errors(
        root.client.put(
            f"/accounts/{root.id}/menus",
            {"name": "", "retries": 11, "max_extension_length": 0, "hunt": "yes"},
        )
    )
    assert errors["name"]["minLength"]["target"] == 1
    assert errors["retries"]["maximum"]["target"] == 10
    assert errors["max_extension_length"]["minimum"]["target"] == 1
    assert "type" in errors["hunt"]
    errors = _errors(
        root.client.put(f"/accounts/{root.id}/temporal_rules", {"name": "r", "cycle": "hourly"})
    )
    assert "enum" in errors["cycle"]


def test_given_an_unknown_callflow_module_when_saved_then_400_at_flow_module(
    root: LoggedIn,
) -> None:
    errors = _errors(
        root.client.put(
            f"/accounts/{root.id}/callflows",
            {"numbers": ["100"], "flow": {"module": "no_such_module", "data": {}}},
        )
    )
    assert errors["flow.module"]["enum"]["target"] == "no_such_module"
    assert _count(root, "callflows") == 0


def test_given_a_bad_node_deep_in_the_tree_when_saved_then_400_with_its_path(
    root: LoggedIn,
) -> None:
    flow = {
        "module": "test_say",
        "data": {"text": "welcome"},
        "children": {
            "_": {
                "module": "test_ring",
                "data": {"id": RING_ID},
                "children": {"1": {"module": "test_ring", "data": {"id": 5, "timeout": 0}}},
            },
            "2": {"module": "test_say", "data": {}},
        },
    }
    errors = _errors(
        root.client.put(f"/accounts/{root.id}/callflows", {"numbers": ["200"], "flow": flow})
    )
    assert set(errors) == {
        "flow.children._.children.1.data.id",
        "flow.children._.children.1.data.timeout",
        "flow.children.2.data.text",
    }
    assert "type" in errors["flow.children._.children.1.data.id"]
    assert "required" in errors["flow.children.2.data.text"]


def test_given_a_valid_tree_when_saved_then_module_defaults_are_filled(root: LoggedIn) -> None:
    flow = {"module": "test_ring", "data": {"id": RING_ID}, "children": {}}
    answer = root.client.put(f"/accounts/{root.id}/callflows", {"numbers": ["300"], "flow": flow})
    assert answer.status_code == 201, answer.text
    assert answer.json()["data"]["flow"]["data"] == {"id": RING_ID, "timeout": 20}


def test_given_a_number_in_use_when_another_callflow_claims_it_then_400_unique(
    root: LoggedIn,
) -> None:
    path = f"/accounts/{root.id}/callflows"
    flow = {"module": "test_say", "data": {"text": "hi"}}
    first = root.client.put(path, {"name": "main", "numbers": ["1000", "1001"], "flow": flow})
    first_id = first.json()["data"]["id"]
    errors = _errors(root.client.put(path, {"numbers": ["2000", "1001"], "flow": flow}))
    assert errors["numbers"]["unique"]["cause"] == "1001"
    assert first_id in errors["numbers"]["unique"]["message"]
    pattern = root.client.put(path, {"patterns": ["^9(\\d+)$"], "flow": flow})
    assert pattern.status_code == 201
    errors = _errors(root.client.put(path, {"patterns": ["^9(\\d+)$"], "flow": flow}))
    assert errors["patterns"]["unique"]["cause"] == "^9(\\d+)$"
    # a callflow may keep its own numbers when it is saved again
    again = root.client.post(
        f"{path}/{first_id}", {"name": "main", "numbers": ["1000", "1001"], "flow": flow}
    )
    assert again.status_code == 200
    assert _count(root, "callflows") == 2


def test_given_an_invalid_regex_pattern_when_saved_then_400_pattern(root: LoggedIn) -> None:
    errors = _errors(
        root.client.put(
            f"/accounts/{root.id}/callflows",
            {"patterns": ["^(unclosed"], "flow": {"module": "test_say", "data": {"text": "x"}}},
        )
    )
    assert "pattern" in errors["patterns.0"]


def test_given_private_fields_from_a_client_when_saved_then_they_are_ignored(
    root: LoggedIn, store: Any
) -> None:
    answer = root.client.put(
        f"/accounts/{root.id}/users",
        {"first_name": "F", "last_name": "L", "pvt_type": "account", "pvt_account_id": "x"},
    )
    assert answer.status_code == 201
    stored = store.get(account_db(root.id), answer.json()["data"]["id"])
    assert stored["pvt_type"] == "user" and stored["pvt_account_id"] == root.id


def test_given_a_body_that_is_not_json_when_sent_then_400_invalid_request(
    root: LoggedIn,
) -> None:
    answer = requests.put(
        f"{root.client.base_url}/v2/accounts/{root.id}/users",
        data=b"{not json",
        headers={"X-Auth-Token": root.client.token or "", "Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 400
    assert answer.json()["message"] == "invalid request"


DENIED_URIS = (
    "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata endpoint
    "http://10.1.2.3:8080/hook",  # a private network
    "https://localhost/hook",  # a denied host name
    "http://[::ffff:192.168.1.9]/hook",  # a private IPv4 address written as IPv6
)


def test_given_an_account_webhook_to_a_denied_host_when_saved_then_400_blacklisted(
    root: LoggedIn,
) -> None:
    for uri in DENIED_URIS:
        body = {"name": "hook", "hook": "all", "uri": uri}
        errors = _errors(root.client.put(f"/accounts/{root.id}/webhooks", body))
        assert list(errors) == ["uri"] and "blacklisted" in errors["uri"], (uri, errors)
    assert _count(root, "webhooks") == 0
    fine = {"name": "hook", "hook": "all", "uri": "https://hooks.example.com/calls"}
    assert root.client.put(f"/accounts/{root.id}/webhooks", fine).status_code == 201


def test_given_a_webhook_module_to_a_denied_host_when_saved_then_400_blacklisted(
    root: LoggedIn,
) -> None:
    for uri in DENIED_URIS:
        flow = {"module": "webhook", "data": {"uri": uri}, "children": {}}
        answer = root.client.put(
            f"/accounts/{root.id}/callflows", {"numbers": ["7390"], "flow": flow}
        )
        errors = _errors(answer)
        assert "blacklisted" in errors["flow.data.uri"], (uri, errors)
    assert _count(root, "callflows") == 0
