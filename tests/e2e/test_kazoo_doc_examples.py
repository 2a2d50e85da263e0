"""Kazoo's own callflow examples run here: for every Kazoo module we implement, the example
its documentation gives (``tests/e2e/data/kazoo_doc_examples.json``: the node as Kazoo's
docs write it, the page it comes from, and where the page has no example the keys it
documents) is saved through the API's validation and called on the emulator. Each call
must end, the module must have run (its node in the trace, not skipped for bad data or a
crash), and the switch must have been asked what the module does.

Placeholders of the docs (``{USER_ID}``, ``{DEVICE_ID}``, ``{VM_BOX}``, ``{MEDIA_ID}``,
``{QUEUE_ID}``, ``{SERVER_URL}``, ``{CONFERENCE_ID}``...), and in a number to dial, are
filled in with this account's documents, a tone, a server that is not there. One stack serves
every example (module-scoped), so the whole set takes seconds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.conferences.resource import SPEC as CONFERENCES
from api.devices.resource import SPEC as DEVICES
from api.documents import DocumentService, SystemDocuments
from api.functions.resource import SPEC as FUNCTIONS
from api.groups.resource import SPEC as GROUPS
from api.lists.resource import ENTRIES as LIST_ENTRIES
from api.lists.resource import SPEC as LISTS
from api.queues.resource import SPEC as QUEUES
from api.resources.resource import SPEC as RESOURCES
from api.resources.service import GLOBAL_DB
from api.users.resource import SPEC as USERS
from api.vmboxes.resource import SPEC as VMBOXES
from callflow import registry
from callflow.kazoo_modules import KAZOO_MODULES
from kazoo_tasks import services
from kazoo_tasks.docstore import ACCOUNTS_DB, account_db
from kazoo_tasks.esl.emulator import script as s
from kazoo_tasks.keys import registration_key
from kazoo_tasks.testing import Stack, TestAccount
from tests.conftest import own_namespace
from tests.waiting import wait_for

EXAMPLES = json.loads((Path(__file__).parent / "data" / "kazoo_doc_examples.json").read_text())
TONE = "tone_stream://%(200,0,440)"
REALM = "docs.sip.example.net"
CARRIER = "carrier.docs.example.net"
FAILED_NOTES = ("bad data", "crashed", "not implemented", "unknown module")


@pytest.fixture(scope="module")
def docs_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    base = tmp_path_factory.mktemp("kazoo-docs")
    with own_namespace(base / "data") as settings:
        nowhere = settings.with_overrides(nomorobo_url="http://127.0.0.1:9/v1/check")
        with Stack(nowhere, base / "logs") as stack:  # Nomorobo: a server that is not there
            yield stack


@pytest.fixture(scope="module")
def docs_account(docs_stack: Stack) -> Iterator[tuple[TestAccount, dict[str, str]]]:
    """An account with a user who owns a registered phone that answers, a group, a mailbox,
    a callflow that plays (2600), a carrier of its own and one of the system's (their
    gateway answers), a match list naming the caller, Kazoo's "say hi" function; and the
    values of the docs' placeholders."""
    store = services.document_store(docs_stack.settings)
    account = TestAccount(store, "Kazoo docs")
    for db in (ACCOUNTS_DB, account_db(account.id)):
        store.save(db, {**store.get(db, account.id), "realm": REALM})
    user = DocumentService(store, USERS).create(
        account.id, {"first_name": "Doc", "last_name": "Example", "username": "doc"}
    )["_id"]
    device = DocumentService(store, DEVICES).create(
        account.id,
        {
            "name": "doc desk",
            "owner_id": user,
            "sip": {"username": "8001"},
            "caller_id": {"internal": {"number": "8001"}},
        },
    )["_id"]
    docs_stack.emulator.register("8001", realm=REALM)
    docs_stack.emulator.set_endpoint("sofia/*/8001@*", answer_after=0.2, hangup_after=0.3)
    client = services.redis_client(docs_stack.settings)
    key = registration_key(docs_stack.settings.namespace, REALM, "8001")
    wait_for(lambda: client.get(key), 15, "the phone's registration")
    group = DocumentService(store, GROUPS).create(
        account.id, {"name": "docs", "endpoints": {device: {"type": "device"}}}
    )["_id"]
    box = DocumentService(store, VMBOXES).create(
        account.id, {"name": "docs box", "mailbox": "8100", "pin": "1234"}
    )["_id"]
    queue = DocumentService(store, QUEUES).create(account.id, {"name": "docs queue"})["_id"]
    carrier = {"name": "docs carrier", "rules": ["^(\\d+)$"], "gateways": [{"server": CARRIER}]}
    DocumentService(store, RESOURCES).create(account.id, carrier)
    SystemDocuments(store, RESOURCES, GLOBAL_DB).create(account.id, carrier)
    match_list = DocumentService(store, LISTS).create(account.id, {"name": "docs callers"})["_id"]
    DocumentService(store, LIST_ENTRIES).create(
        account.id, {"list_id": match_list, "number": "1415", "displayname": "Docs Caller"}
    )
    docs_stack.emulator.set_endpoint(f"sofia/*/sip:*@{CARRIER}", answer_after=0.1, hangup_after=0.3)
    target = account.callflow(["2600"], {"module": "play", "data": {"id": TONE}})
    room = DocumentService(store, CONFERENCES).create(account.id, {"name": "docs room"})["_id"]
    say_hi = {  # Kazoo's example 1 of applications/crossbar/doc/functions.md
        "name": "say hi",
        "function_js": "return {'module':'tts', 'data':{'text':'Thanks for calling us ' + "
        "call['Caller-ID-Name']}};",
    }
    function = DocumentService(store, FUNCTIONS).create(account.id, say_hi)["_id"]
    values = {
        "{USER_ID}": user, "{DEVICE_ID}": device, "{GROUP_ID}": group, "{VM_BOX}": box,
        "{CALLFLOW_ID}": target, "{MEDIA_ID}": TONE, "{QUEUE_ID}": queue, "{SERVER_URL}": "http://127.0.0.1:9/pivot",
        "{LIST_ID}": match_list, "{CONFERENCE_ID}": room, "{FUNCTION_ID}": function,
    }  # fmt: skip
    yield account, values
    store.close()


def filled(value: Any, values: dict[str, str]) -> Any:
    """``value`` with the docs' placeholders replaced."""
    text = json.dumps(value)
    for placeholder, replacement in values.items():
        text = text.replace(placeholder, replacement)
    return json.loads(text)


def test_given_the_examples_then_there_is_one_for_every_implemented_kazoo_module():
    implemented = set(registry.module_names()) & set(KAZOO_MODULES)

    assert sorted(example["module"] for example in EXAMPLES) == sorted(implemented)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: example["module"])
def test_given_kazoos_documented_example_when_saved_and_called_then_it_runs(
    docs_stack: Stack, docs_account: tuple[TestAccount, dict[str, str]], example: dict
):
    account, values = docs_account
    number = filled(example.get("dial"), values) or f"8{EXAMPLES.index(example) + 200:03d}"
    flow = filled(example["flow"], values)
    numbers = example.get("numbers", [] if example.get("patterns") else [number])
    account.callflows.create(
        account.id, {"numbers": numbers, "patterns": example.get("patterns", []), "flow": flow}
    )
    variables = dict(account.variables)
    if example.get("from_phone"):
        variables.update({
            "ecallmgr_Authorizing-ID": values["{DEVICE_ID}"],
            "ecallmgr_Authorizing-Type": "device",
            "ecallmgr_Owner-ID": values["{USER_ID}"],
        })  # fmt: skip
    script = [s.after(example["hang_up_after"]).hangup()] if "hang_up_after" in example else []
    if "press_on_app" in example:
        app, keys = example["press_on_app"]
        script.append(s.on_app(app).wait(0.5).press(keys))

    call = docs_stack.emulator.place_call(number, variables=variables, script=script)

    cause = call.wait_hangup(timeout=30)
    if example.get("cause") != "any" and "hang_up_after" not in example:
        assert cause == "NORMAL_CLEARING"
    trace = account.wait_cdr(call.uuid)["trace"]
    ran = [t for t in trace if t.get("module") == example["module"]]
    assert ran, trace
    failures = [t for t in ran if any(word in (t.get("note") or "") for word in FAILED_NOTES)]
    assert failures == [], failures
    apps = {command.app for command in call.commands}
    assert set(example.get("expect_apps", [])) <= apps, sorted(apps)
