"""Event data records on the whole pipeline (Kazoo's cf_edr): a call passing an ``edr``
node leaves one structured log line of the worker with Kazoo's EDR fields and the node's
data, and goes on to the next node; bad data is refused at save time."""

from __future__ import annotations

import json

import pytest

from api.errors import ValidationFailed
from tests.e2e.conftest import TONE, from_phone, node
from tests.waiting import wait_for


def test_given_an_edr_node_when_a_call_passes_then_the_record_is_logged_and_the_flow_goes_on(
    stack, account, floor
):
    data = {"campaign": "spring", "priority": 3}
    flow_id = account.callflow(["2700"], node("edr", data, then=node("play", {"id": TONE})))
    variables = {**from_phone(account, floor["phone"]), "ecallmgr_Owner-ID": floor["agent"]}

    call = stack.emulator.place_call("2700", variables=variables, caller_id_number="1415")

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert "playback" in [c.app for c in call.commands]
    notes = [t.get("note", "") for t in account.wait_cdr(call.uuid)["trace"]]
    edr_id = next(note.split()[1] for note in notes if note.startswith("edr "))
    marker = f'{{"id": "{edr_id}"'
    line = wait_for(
        lambda: next((ln for ln in stack.workers[0].log().splitlines() if marker in ln), None),
        15,
        "the EDR log line",
    )
    record = json.loads(line[line.index(marker) :])
    assert record["account_id"] == account.id
    assert (record["app_name"], record["severity"], record["verbosity"]) == (
        "callflow",
        "ok",
        "info",
    )
    assert record["timestamp"] and record["gregorian_time"] > 63_000_000_000
    assert record["body"] == {
        "Caller-ID-Name": record["body"]["Caller-ID-Name"],
        "Caller-ID-Number": "1415",
        "Account-ID": account.id,
        "Owner-ID": floor["agent"],
        "Authorizing-ID": floor["phone"],
        "Authorizing-Type": "device",
        "Custom-Data": data,
        "Callflow-ID": flow_id,
    }


def test_given_bad_edr_data_when_saved_then_it_is_refused(account):
    with pytest.raises(ValidationFailed, match="flow.data.skip_module"):
        account.callflow(["2701"], node("edr", {"skip_module": "perhaps"}))
