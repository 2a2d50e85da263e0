"""Functions through the API, as Kazoo's functions.md shows them: create (Kazoo's examples),
list (``name``, ``function_js``, ``enabled``), read, patch (``enabled``), replace and
delete, on the embedded store and CouchDB; bad bodies get 400 with field errors, a body
that is no JavaScript included; a function saved in a callflow node is validated as every
module's data. (Generic CRUD, private fields and loose types: test_crud.py and its
neighbours; tenancy: test_tenancy.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from kazoo_tasks.docstore import DocumentStore, account_db
from tests.crossbar import LoggedIn

pytestmark = pytest.mark.parametrize("store", ["embedded", "couch"], indirect=True)

SAY_HI = {
    "name": "say hi",
    "function_js": "return {'module':'tts', 'data':{'text':'Thanks for calling us ' + "
    "call['Caller-ID-Name']}};",
}
FUN_DAY = {
    "name": "fun day",
    "function_js": "var d = new Date(); var days = ['Sunday','Monday','Tuesday','Wednesday',"
    "'Thursday','Friday','Saturday']; return {'module':'tts', 'data':{'text':days[d.getDay()] "
    "+ ' fun day!'}};",
}


def test_given_kazoos_examples_when_created_listed_patched_replaced_and_deleted_then_as_kazoo(
    root: LoggedIn, store: DocumentStore
) -> None:
    base = f"/accounts/{root.id}/functions"
    made = root.client.put(base, SAY_HI)
    assert made.status_code == 201, made.text
    hi = made.json()["data"]
    assert (hi["enabled"], hi["language_pack"]) == (True, "javascript")  # Kazoo's defaults
    fun_id = root.client.put(base, FUN_DAY).json()["data"]["id"]
    stored = store.get(account_db(root.id), hi["id"])
    assert stored["pvt_type"] == "function" and stored["function_js"] == SAY_HI["function_js"]

    listed = {f["id"]: f for f in root.client.get(base).json()["data"]}
    assert listed[hi["id"]] == {"id": hi["id"], **SAY_HI, "enabled": True}
    assert listed[fun_id]["name"] == "fun day"

    patched = root.client.patch(f"{base}/{hi['id']}", {"enabled": False})
    assert patched.status_code == 200 and patched.json()["data"]["enabled"] is False
    assert root.client.get(f"{base}/{hi['id']}").json()["data"]["enabled"] is False
    replaced = root.client.post(f"{base}/{hi['id']}", {**SAY_HI, "name": "say hello"})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["data"]["name"] == "say hello"
    assert replaced.json()["data"]["enabled"] is True  # a replace takes Kazoo's default again

    assert root.client.delete(f"{base}/{hi['id']}").status_code == 200
    assert root.client.get(f"{base}/{hi['id']}").status_code == 404
    assert [f["id"] for f in root.client.get(base).json()["data"]] == [fun_id]


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"function_js": "return null;"}, "name", "required"),
        ({"name": "no code"}, "function_js", "required"),
        ({"name": "n", "function_js": 42}, "function_js", "type"),
        ({"name": "n", "function_js": "return {"}, "function_js", "invalid"),
        ({"name": "n", "function_js": "return 1;", "enabled": "maybe"}, "enabled", "type"),
        ({"name": "n", "function_js": "return 1;", "language_pack": 5}, "language_pack", "type"),
        ({"name": "n", "function_js": "x" * 70000}, "function_js", "maxLength"),
    ],
    ids=["no name", "no code", "code not a string", "syntax error",
         "enabled not boolean", "language not a string", "too long"],
)  # fmt: skip
def test_given_a_bad_function_when_saved_then_400_with_the_field(
    root: LoggedIn, body: dict[str, Any], field: str, rule: str
) -> None:
    base = f"/accounts/{root.id}/functions"

    answer = root.client.put(base, body)

    assert answer.status_code == 400, answer.text
    assert rule in answer.json()["data"][field], answer.json()["data"]
    assert root.client.get(base).json()["data"] == []


def test_given_a_syntax_error_then_the_message_says_where(root: LoggedIn) -> None:
    answer = root.client.put(
        f"/accounts/{root.id}/functions", {"name": "n", "function_js": "return {"}
    )

    message = answer.json()["data"]["function_js"]["invalid"]["message"]
    assert message.startswith("not a valid JavaScript function body: SyntaxError"), message


@pytest.mark.parametrize(
    ("data", "accepted"),
    [
        ({"id": "f" * 32}, True), ({}, True), ({"id": 5}, False),
        ({"id": "f", "skip_module": "x"}, False),
    ],
    ids=["id", "no id", "id not a string", "skip_module not boolean"],
)  # fmt: skip
def test_given_a_function_node_when_its_callflow_is_saved_then_its_data_is_validated(
    root: LoggedIn, data: dict[str, Any], accepted: bool
) -> None:
    flow = {"numbers": ["7600"], "flow": {"module": "function", "data": data}}

    answer = root.client.put(f"/accounts/{root.id}/callflows", flow)

    assert answer.status_code == (201 if accepted else 400), answer.text
    if not accepted:
        assert any(key.startswith("flow.data.") for key in answer.json()["data"])
