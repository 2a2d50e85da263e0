"""The feature-code forms of eavesdrop, intercept and group pickup, on the whole pipeline:
the phone to act on is named by the digits dialed after the code (``*88`` + extension,
``*78`` + extension, ``*98`` + SIP username...), resolved through the account's
callflows or devices; then the call is listened to or picked up as with the plain
modules. An unknown extension, a caller who may not, a target outside the node's group
or a bad ``type`` get nothing."""

from __future__ import annotations

import pytest

from api.devices.resource import SPEC as DEVICES
from api.documents import DocumentService
from api.errors import ValidationFailed
from api.groups.resource import SPEC as GROUPS
from tests.e2e.conftest import agent_on_the_call, from_phone, node, ringing_customer


def feature_code(account, prefix: str, module: str, data: dict) -> None:
    """A callflow ``^\\*<prefix>([0-9]+)$`` running ``module`` with ``data``."""
    flow = {"patterns": [rf"^\*{prefix}([0-9]+)$"], "flow": node(module, data)}
    account.callflows.create(account.id, {**flow, "name": f"*{prefix}"})


def notes_of(account, call_id: str) -> list[str]:
    return [t.get("note", "") for t in account.wait_cdr(call_id)["trace"]]


# -- eavesdrop_feature ---------------------------------------------------------------------


@pytest.fixture
def listened(stack, account, floor, redis_client):
    """A customer talking to the agent (2101), and 2102: a tone, then the agent (user)."""
    account.callflow(
        ["2102"],
        node(
            "play", {"id": "tone_stream://%(100,0,440)"}, then=node("user", {"id": floor["agent"]})
        ),
    )
    customer = stack.emulator.place_call("2101", variables=account.variables)
    customer.wait_for_event("CHANNEL_BRIDGE", timeout=30)
    agent_on_the_call(stack, account, floor, redis_client)
    yield customer
    customer.hangup()


@pytest.mark.parametrize("extension", ["2101", "2102"])
def test_given_an_approved_supervisor_when_she_dials_the_code_and_an_extension_then_she_listens(
    stack, account, floor, listened, extension
):
    feature_code(account, "88", "eavesdrop_feature", {"approved_device_id": floor["chief"]})

    chief = stack.emulator.place_call(
        f"*88{extension}", variables=from_phone(account, floor["chief"])
    )

    assert chief.wait_for_command("eavesdrop", timeout=30).args == listened.uuid
    listened.hangup()
    assert chief.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert f"listening to {listened.uuid}" in notes_of(account, chief.uuid)


@pytest.mark.parametrize("case", ["no approval", "not in the group", "no such extension"])
def test_given_a_refused_eavesdrop_code_then_the_supervisor_hears_nothing(
    stack, store, account, floor, listened, case
):
    data = {"approved_device_id": floor["chief"]}
    dialed, why = "*882101", f"{floor['phone']} is not a member of"
    if case == "no approval":
        data, why = {}, "caller not approved to eavesdrop"
    elif case == "not in the group":
        members = {floor["chief"]: {"type": "device"}}
        group = {"name": "supervisors", "endpoints": members}
        data["group_id"] = DocumentService(store, GROUPS).create(account.id, group)["_id"]
    else:
        dialed, why = "*889999", "no callflow with extension 9999"
    feature_code(account, "88", "eavesdrop_feature", data)

    chief = stack.emulator.place_call(dialed, variables=from_phone(account, floor["chief"]))

    assert chief.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert "eavesdrop" not in [c.app for c in chief.commands]
    assert any(note.startswith(why) for note in notes_of(account, chief.uuid)), why


# -- intercept_feature and group_pickup_feature ---------------------------------------------


@pytest.fixture
def desk(store, account, floor) -> str:
    """A second phone of the sales user (not registered: it only places calls)."""
    doc = {"name": "desk", "owner_id": floor["agent"], "sip": {"username": "7103"}}
    return DocumentService(store, DEVICES).create(account.id, doc)["_id"]


@pytest.mark.parametrize(
    ("module", "data", "dialed", "picker"),
    [
        ("intercept_feature", {"type": "extension", "approved_device_id": "colleague"},
         "2201", "colleague"),
        ("intercept_feature", {"type": "extension"}, "2201", "desk"),
        ("intercept_feature", {"type": "device"}, "7101", "desk"),
        ("group_pickup_feature", {"type": "device"}, "7101", "colleague"),
        ("group_pickup_feature", {}, "2301", "colleague"),
    ],
)  # fmt: skip
def test_given_a_ringing_phone_when_the_code_names_it_then_the_caller_picks_up(
    stack, account, sales_floor, desk, module, data, dialed, picker
):
    ring_group = {"endpoints": [{"endpoint_type": "user", "id": sales_floor["sales"]}]}
    account.callflow(["2301"], node("ring_group", ring_group))
    data = {k: sales_floor.get(v, v) for k, v in data.items()}
    feature_code(account, "78", module, data)
    customer, leg = ringing_customer(stack, account)
    phone = desk if picker == "desk" else sales_floor[picker]

    call = stack.emulator.place_call(f"*78{dialed}", variables=from_phone(account, phone))

    assert leg.wait_hangup(timeout=30) == "PICKED_OFF"
    call.wait_for_event("CHANNEL_BRIDGE", timeout=30)
    assert ("intercept", customer.uuid) in [(c.app, c.args) for c in call.commands]
    call.hangup()
    customer.wait_hangup(timeout=30)
    assert f"picking up {customer.uuid}" in notes_of(account, call.uuid)


@pytest.mark.parametrize(
    ("module", "data", "dialed", "why"),
    [
        ("intercept_feature", {"type": "extension"}, "2201", "caller not approved to pick up"),
        ("intercept_feature", {}, "2201", "type undefined not implemented"),
        ("intercept_feature", {"type": "user"}, "2201", "type user not implemented"),
        ("group_pickup_feature", {}, "9999", "no callflow with extension 9999"),
        ("group_pickup_feature", {"type": "device"}, "7999", "no device with SIP username 7999"),
        ("group_pickup_feature", {"type": "group"}, "2201", "type group not implemented"),
    ],
)
def test_given_a_code_that_may_not_pick_up_then_the_ringing_call_goes_on(
    stack, account, sales_floor, module, data, dialed, why
):
    feature_code(account, "78", module, data)
    customer, leg = ringing_customer(stack, account)

    call = stack.emulator.place_call(
        f"*78{dialed}", variables=from_phone(account, sales_floor["colleague"])
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert "intercept" not in [c.app for c in call.commands]
    assert why in notes_of(account, call.uuid)
    assert leg.is_up
    customer.hangup()


@pytest.mark.parametrize(
    ("module", "data", "field"),
    [
        ("eavesdrop_feature", {"group_id": ""}, "group_id"),
        ("intercept_feature", {"type": "everyone"}, "type"),
        ("group_pickup_feature", {"type": "extension", "approved_user_id": ""}, "approved_user_id"),
        ("group_pickup_feature", {"type": "ring_group"}, "type"),
    ],
)
def test_given_bad_feature_code_data_when_saved_then_it_is_refused(account, module, data, field):
    with pytest.raises(ValidationFailed, match=f"flow.data.{field}"):
        account.callflow(["*79"], node(module, data))
