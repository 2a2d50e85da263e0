"""Carriers through the API: an account's resources (``/v2/accounts/{id}/resources``) and
the system's (``/v2/resources``, system admins only, in the ``offnet`` database), with
Kazoo's documented resource accepted as it is and rules that do not compile refused.
(Create / read / list / replace / patch / delete of account resources: tests/api/test_crud.py;
tenancy: tests/api/test_tenancy.py; Kazoo's schema: tests/api/test_kazoo_schemas.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from api.server import RunningServer
from kazoo_tasks.docstore import DocumentStore, account_db
from tests.crossbar import LoggedIn, new_account

pytestmark = pytest.mark.parametrize("store", ["embedded", "couch"], indirect=True)

KAZOO_DOC_RESOURCE: dict[str, Any] = {
    "caller_id_options": {"type": "external"},
    "emergency": False,
    "enabled": True,
    "flags": [],
    "gateways": [
        {
            "channel_selection": "ascending",
            "codecs": ["PCMU", "PCMA"],
            "custom_sip_headers": {},
            "emergency": False,
            "enabled": True,
            "endpoint_type": "sip",
            "format_from_uri": False,
            "invite_format": "route",
            "password": "DrWoody",
            "prefix": "+1",
            "progress_timeout": "6",
            "realm": "carrier1.com",
            "server": "carrier1.com",
            "skype_rr": True,
            "suffix": "100",
            "username": "blazemore",
        }
    ],
    "grace_period": 5,
    "media": {"audio": {"codecs": ["PCMU"]}, "video": {"codecs": []}},
    "name": "Carrier 3",
    "rules": ["^\\+{0,1}1{0,1}(\\d{10})$"],
    "weight_cost": 50,
}
"""The resource of Kazoo's applications/crossbar/doc/resources.md ("Remove a resource"),
as it is there (``progress_timeout`` a string, a gateway ``emergency`` key its schema does
not name); its rule is the one of Kazoo's resources examples."""


def test_given_kazoos_documented_resource_when_saved_then_accepted_and_typed(
    root: LoggedIn,
) -> None:
    made = root.client.put(f"/accounts/{root.id}/resources", KAZOO_DOC_RESOURCE)
    assert made.status_code == 201, made.text
    doc = made.json()["data"]
    assert doc["gateways"][0]["progress_timeout"] == 6
    assert doc["gateways"][0]["port"] == 5060 and doc["rules"] == KAZOO_DOC_RESOURCE["rules"]
    listed = root.client.get(f"/accounts/{root.id}/resources").json()["data"]
    assert listed == [
        {
            "id": doc["id"],
            "name": "Carrier 3",
            "enabled": True,
            "weight_cost": 50,
            "emergency": False,
        }
    ]


def test_given_a_rule_that_does_not_compile_when_saved_then_400_names_it(root: LoggedIn) -> None:
    bad = {"name": "Broken", "gateways": [], "rules": ["^\\+1(\\d{10}$", "^ok$"]}
    answer = root.client.put(f"/accounts/{root.id}/resources", bad)
    assert answer.status_code == 400, answer.text
    assert list(answer.json()["data"]) == ["rules.0"]
    no_server = root.client.put(
        f"/accounts/{root.id}/resources", {"name": "No server", "gateways": [{"prefix": "1"}]}
    )
    assert no_server.status_code == 400 and "gateways.0.server" in no_server.json()["data"]


def test_given_a_system_admin_when_managing_the_systems_resources_then_they_live_apart(
    root: LoggedIn, store: DocumentStore, server: RunningServer
) -> None:
    admin = new_account(store, server, superduper_admin=True)
    made = admin.client.put("/resources", {**KAZOO_DOC_RESOURCE, "name": "Upstream"})
    assert made.status_code == 201, made.text
    global_id = made.json()["data"]["id"]
    stored = store.get("offnet", global_id)
    assert stored["pvt_type"] == "resource" and "pvt_account_id" not in stored
    own = root.client.put(f"/accounts/{root.id}/resources", {"name": "Own", "gateways": []})
    assert own.status_code == 201

    listed = admin.client.get("/resources").json()["data"]
    assert [entry["name"] for entry in listed] == ["Upstream"]
    assert admin.client.patch(f"/resources/{global_id}", {"weight_cost": 10}).status_code == 200
    assert admin.client.get(f"/resources/{global_id}").json()["data"]["weight_cost"] == 10
    assert [
        e["name"] for e in root.client.get(f"/accounts/{root.id}/resources").json()["data"]
    ] == ["Own"]
    # an account, even a top-level one, neither reads nor writes the system's
    assert root.client.get("/resources").status_code == 403
    assert root.client.put("/resources", {"name": "Mine", "gateways": []}).status_code == 403
    assert root.client.get(f"/resources/{global_id}").status_code == 403
    assert admin.client.delete(f"/resources/{global_id}").status_code == 200
    assert admin.client.get(f"/resources/{global_id}").status_code == 404
    assert store.get(account_db(root.id), own.json()["data"]["id"])["name"] == "Own"


def test_given_kazoos_older_names_then_they_reach_the_same_resources(
    root: LoggedIn, store: DocumentStore, server: RunningServer
) -> None:
    admin = new_account(store, server, superduper_admin=True)
    own = root.client.put(f"/accounts/{root.id}/local_resources", {"name": "Own", "gateways": []})
    assert own.status_code == 201, own.text
    listed = root.client.get(f"/accounts/{root.id}/resources").json()["data"]
    assert [entry["id"] for entry in listed] == [own.json()["data"]["id"]]
    system = admin.client.put("/global_resources", {"name": "Upstream", "gateways": []})
    assert system.status_code == 201, system.text
    assert [e["name"] for e in admin.client.get("/resources").json()["data"]] == ["Upstream"]
    assert root.client.get("/global_resources").status_code == 403
