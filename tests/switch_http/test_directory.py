"""The mod_xml_curl directory endpoint answers the look-ups a real FreeSWITCH sent
(replayed byte for byte) from device documents written through the API."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from api.server import RunningServer
from kazoo_tasks.docstore import ACCOUNTS_DB, DocumentStore, account_db
from tests.switch_http.conftest import REALM, Phone, look_up
from tests.switch_http.recorded import by_method, digest_response, recorded


def parse_user(text: str) -> tuple[ElementTree.Element, dict[str, str], dict[str, str]]:
    """The ``<user>`` element of a directory answer, its params and its variables."""
    document = ElementTree.fromstring(text.encode())
    assert document.tag == "document" and document.get("type") == "freeswitch/xml"
    section = document.find("section")
    assert section is not None and section.get("name") == "directory"
    domain = section.find("domain")
    assert domain is not None
    user = domain.find("groups/group/users/user")
    assert user is not None
    params = {p.get("name", ""): p.get("value", "") for p in user.iterfind("params/param")}
    variables = {v.get("name", ""): v.get("value", "") for v in user.iterfind("variables/variable")}
    return domain, params, {**variables, "_id": user.get("id", "")}


def assert_not_found(text: str) -> None:
    document = ElementTree.fromstring(text.encode())
    section = document.find("section")
    assert section is not None and section.get("name") == "result"
    result = section.find("result")
    assert result is not None and result.get("status") == "not found"


@pytest.mark.parametrize("method", ["REGISTER", "INVITE"])
def test_given_a_device_when_freeswitch_looks_it_up_then_the_answer_verifies_the_recorded_digest(
    server: RunningServer, phone: Phone, method: str
):
    look_up_ = by_method(method)

    answer = look_up(server, look_up_.body)

    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/xml")
    domain, params, variables = parse_user(answer.text)
    assert domain.get("name") == REALM and variables["_id"] == "1001"
    # FreeSWITCH checks the phone's digest against the a1-hash: the recorded phone used
    # the device's password, so its recorded response must verify.
    fields = look_up_.fields
    assert digest_response(fields, params["a1-hash"]) == fields["sip_auth_response"]
    assert "password" not in params


def test_given_a_device_when_its_user_is_looked_up_then_the_call_carries_kazoos_variables(
    server: RunningServer, phone: Phone
):
    answer = look_up(server, by_method("INVITE").body)

    _, _, variables = parse_user(answer.text)
    assert variables["ecallmgr_Account-ID"] == phone.account.id
    assert variables["ecallmgr_Authorizing-ID"] == phone.device["id"]
    assert variables["ecallmgr_Authorizing-Type"] == "device"
    assert variables["ecallmgr_Owner-ID"] == phone.user["id"]
    assert variables["ecallmgr_Username"] == "1001"
    assert variables["ecallmgr_Realm"] == REALM
    assert variables["ecallmgr_Account-Realm"] == REALM
    # caller id: number from the device, name from its owner (the account's is the last resort)
    assert variables["effective_caller_id_number"] == "1001"
    assert variables["effective_caller_id_name"] == "Alice Example"


def test_given_another_password_when_the_recorded_phone_authenticates_then_its_digest_fails(
    server: RunningServer, phone: Phone
):
    path = f"/accounts/{phone.account.id}/devices/{phone.device['id']}"
    changed = phone.account.client.patch(path, {"sip": {"password": "not-test1001"}})
    assert changed.status_code == 200, changed.text
    look_up_ = by_method("REGISTER")

    _, params, _ = parse_user(look_up(server, look_up_.body).text)

    fields = look_up_.fields
    assert digest_response(fields, params["a1-hash"]) != fields["sip_auth_response"]


def test_given_the_recorded_unknown_user_and_profile_start_when_looked_up_then_not_found(
    server: RunningServer, phone: Phone
):
    unknown = by_method("REGISTER", user="1002")
    gateways = next(r for r in recorded() if r.fields.get("purpose") == "gateways")

    for item in (unknown, gateways):
        answer = look_up(server, item.body)
        assert answer.status_code == 200
        assert_not_found(answer.text)
        assert_not_found(item.answer)  # the recorded answer has the same shape


@pytest.mark.parametrize(
    "change",
    [
        ("devices", {"enabled": False}),
        ("devices", {"sip": {"method": "ip", "ip": "192.0.2.10"}}),
        ("users", {"enabled": False}),
    ],
    ids=["device-disabled", "ip-authenticated", "owner-disabled"],
)
def test_given_a_device_that_may_not_authenticate_when_looked_up_then_not_found(
    server: RunningServer, phone: Phone, change: tuple[str, dict]
):
    collection, patch = change
    doc_id = phone.device["id"] if collection == "devices" else phone.user["id"]
    answer = phone.account.client.patch(
        f"/accounts/{phone.account.id}/{collection}/{doc_id}", patch
    )
    assert answer.status_code == 200, answer.text

    assert_not_found(look_up(server, by_method("REGISTER").body).text)


def test_given_a_disabled_account_when_its_device_is_looked_up_then_not_found(
    server: RunningServer, phone: Phone, store: DocumentStore
):
    for db in (ACCOUNTS_DB, account_db(phone.account.id)):
        doc = store.get(db, phone.account.id)
        store.save(db, {**doc, "enabled": False})

    assert_not_found(look_up(server, by_method("REGISTER").body).text)


def test_given_two_accounts_claiming_one_realm_when_a_user_is_looked_up_then_refused(
    server: RunningServer, phone: Phone, store: DocumentStore
):
    # The API refuses a second account with a taken realm...
    clash = phone.account.client.put(
        f"/accounts/{phone.account.id}", {"name": "Other Inc", "realm": REALM}
    )
    assert clash.status_code == 400
    assert "realm" in clash.json()["data"]
    # ...but a document written around it must not let one account's phones in as another's.
    twin = {k: v for k, v in store.get(ACCOUNTS_DB, phone.account.id).items() if k != "_rev"}
    store.save(ACCOUNTS_DB, {**twin, "_id": "f" * 32, "name": "Twin"})

    assert_not_found(look_up(server, by_method("REGISTER").body).text)


def test_given_the_switch_password_when_a_look_up_has_none_or_another_then_401(
    server: RunningServer, phone: Phone
):
    body = by_method("REGISTER").body

    assert look_up(server, body, auth=None).status_code == 401
    assert look_up(server, body, auth=("freeswitch", "guess")).status_code == 401
    assert look_up(server, body).status_code == 200
