"""Calls that go out through carriers: ``resources`` and ``offnet`` pick the resources
whose rules take the number, dial their gateways in order (the emulator's far ends say
what each gateway does) and present the caller id the account and the phone configure.

Every resource is written through the API's service (``api/resources``), as an admin
would; the switch's endpoint rules stand for the carriers' SIP servers.
"""

from __future__ import annotations

from typing import Any

import pytest

from api.devices.resource import SPEC as DEVICES
from api.documents import DocumentService, SystemDocuments
from api.resources.resource import SPEC as RESOURCES
from api.resources.service import GLOBAL_DB
from kazoo_tasks.docstore import ACCOUNTS_DB, account_db
from tests.e2e.conftest import TONE, Account, node

BUSY_TONE = "tone_stream://%(100,0,480)"
US_RULE = "^\\+1(\\d{10})$"


class Carriers:
    """The account's resources and the system's, and the caller ids it configures."""

    def __init__(self, stack, store, account) -> None:
        self.stack, self.store, self.account = stack, store, account
        self.local = DocumentService(store, RESOURCES)
        self.system = SystemDocuments(store, RESOURCES, GLOBAL_DB)

    def resource(self, name: str, servers: list[str], *, system: bool = False, **more: Any) -> str:
        data = {"name": name, "rules": [US_RULE], "gateways": [{"server": s} for s in servers]}
        service = self.system if system else self.local
        return service.create(self.account.id, {**data, **more})["_id"]

    def gateway(self, server: str, **rule: Any) -> None:
        self.stack.emulator.set_endpoint(f"sofia/*/sip:*@{server}", **rule)

    def account_caller_id(self, **caller_id: Any) -> None:
        for db in (ACCOUNTS_DB, account_db(self.account.id)):
            doc = self.store.get(db, self.account.id)
            self.store.save(db, {**doc, "caller_id": caller_id})

    def call(self, dialed: str, flow: dict[str, Any], **variables: str):
        self.account.callflow(["no_match"], flow)
        return self.stack.emulator.place_call(
            dialed, variables={**self.account.variables, **variables}
        )


@pytest.fixture
def carriers(stack, store, account) -> Carriers:
    return Carriers(stack, store, account)


def bridged(call) -> list[str]:
    """The dial strings of the call's bridges."""
    return [c.args for c in call.commands if c.app == "bridge"]


def notes(cdr: dict[str, Any]) -> list[str]:
    trace = cdr["trace"]
    return [e["note"] for e in trace if e.get("module") in ("resources", "offnet") and "note" in e]


def test_given_two_gateways_when_the_first_refuses_then_the_second_connects_with_the_caller_id(
    carriers: Carriers, account
):
    carriers.resource("Carrier A", ["gw1.carrier-a.test", "gw2.carrier-a.test"])
    carriers.gateway("gw1.carrier-a.test", reject=503)
    carriers.gateway("gw2.carrier-a.test", answer_after=0.2, hangup_after=0.5)
    carriers.account_caller_id(external={"name": "Example Co", "number": "+14155559000"})

    call = carriers.call("4155550123", node("resources"))

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    [dial] = bridged(call)
    first, second = dial.split("|")
    assert first.endswith("sofia/sipinterface_1/sip:4155550123@gw1.carrier-a.test")
    assert second.endswith("sofia/sipinterface_1/sip:4155550123@gw2.carrier-a.test")
    assert "origination_caller_id_number=+14155559000" in first
    assert "origination_caller_id_name=Example Co" in first
    assert len(call.legs) == 2
    causes = [leg.wait_hangup(timeout=10) for leg in call.legs]
    assert causes[1] == "NORMAL_CLEARING" and causes[0] != "NORMAL_CLEARING"
    carrier_leg = account.wait_cdr(call.legs[1].uuid)
    assert carrier_leg["caller_id_number"] == "+14155559000"
    assert carrier_leg["caller_id_name"] == "Example Co"
    cdr = account.wait_cdr(call.uuid)
    assert any(n.startswith("answered by") for n in notes(cdr))


def test_given_resources_of_different_weights_then_the_cheaper_matching_one_goes_first(
    carriers: Carriers, account
):
    carriers.resource("Expensive", ["pricey.test"], weight_cost=80)
    carriers.resource("Cheap", ["cheap.test"], weight_cost=10, gateways=[
        {"server": "cheap.test", "prefix": "011", "suffix": "#7", "port": 5080}
    ])  # fmt: skip
    carriers.resource("UK only", ["uk.test"], weight_cost=1, rules=["^\\+44(\\d+)$"])
    carriers.resource("Off", ["off.test"], weight_cost=1, enabled=False)
    carriers.gateway("pricey.test", answer_after=0.1, hangup_after=0.3)
    carriers.gateway("cheap.test:5080", busy=True)

    call = carriers.call("+14155550123", node("resources"))

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    [dial] = bridged(call)
    targets = [leg.rsplit("]", 1)[-1] for leg in dial.split("|")]
    assert targets == [
        "sofia/sipinterface_1/sip:0114155550123#7@cheap.test:5080",
        "sofia/sipinterface_1/sip:4155550123@pricey.test",
    ]
    cdr = account.wait_cdr(call.uuid)
    assert "+14155550123: 2 account resources, 2 gateways" in notes(cdr)


def test_given_an_emergency_number_then_the_emergency_resource_gets_the_phones_emergency_caller_id(
    carriers: Carriers, store, account
):
    carriers.resource(
        "911 service",
        ["e911.test"],
        rules=[],
        classifiers={"emergency": {"enabled": True}},
    )
    carriers.resource("Everything else", ["pstn.test"], rules=["^(.*)$"])
    carriers.gateway("e911.test", answer_after=0.1, hangup_after=0.3)
    phone = DocumentService(store, DEVICES).create(
        account.id,
        {
            "name": "lobby phone",
            "caller_id": {
                "external": {"number": "+14155551000"},
                "emergency": {"name": "Lobby", "number": "+14155551999"},
            },
        },
    )["_id"]

    call = carriers.call("911", node("resources"), **{"ecallmgr_Authorizing-ID": phone})

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    [dial] = bridged(call)
    assert "|" not in dial and dial.endswith("sip:911@e911.test")
    assert "ecallmgr_Emergency-Resource=true" in dial
    assert "origination_caller_id_number=+14155551999" in dial
    assert "origination_caller_id_name=Lobby" in dial


@pytest.mark.parametrize("children", [{"NO_ROUTE_DESTINATION": "x"}, {}], ids=["cause", "wildcard"])
def test_given_no_resource_takes_the_number_then_the_failure_child_without_a_bridge(
    carriers: Carriers, account, children
):
    carriers.resource("US only", ["us.test"])
    flow = node("resources", then=node("play", {"id": TONE}))
    for key in children:
        flow["children"][key] = node("play", {"id": BUSY_TONE})

    call = carriers.call("+442071234567", flow)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert bridged(call) == []
    played = [c.args for c in call.commands if c.app == "playback"]
    assert played == ([BUSY_TONE] if children else [TONE])


def test_given_every_gateway_busy_then_the_child_of_the_last_cause(carriers: Carriers, account):
    carriers.resource("Carrier B", ["b1.test", "b2.test"])
    carriers.gateway("b1.test", reject=503)
    carriers.gateway("b2.test", busy=True)
    flow = node("resources", then=node("play", {"id": TONE}))
    flow["children"]["USER_BUSY"] = node("play", {"id": BUSY_TONE})

    call = carriers.call("4155550123", flow)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [c.args for c in call.commands if c.app == "playback"] == [BUSY_TONE]
    assert len(call.legs) == 2


def test_given_offnet_then_only_the_systems_resources_are_used(carriers: Carriers, account):
    carriers.resource("Account's own", ["own.test"], weight_cost=0)
    carriers.resource("Upstream", ["upstream.test"], system=True)
    carriers.gateway("upstream.test", answer_after=0.1, hangup_after=0.3)

    call = carriers.call("4155550123", node("offnet"))

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    [dial] = bridged(call)
    assert dial.endswith("sip:4155550123@upstream.test") and "|" not in dial
    assert "ecallmgr_Global-Resource=true" in dial


def test_given_hunt_account_id_then_only_an_ancestors_carriers_are_used(stack, store):
    reseller = Account(store, "Reseller")
    customer = Account(store, "Customer", parent_id=reseller.id)
    stranger = Account(store, "Stranger")
    for owner, server in ((reseller, "reseller.test"), (stranger, "stranger.test")):
        DocumentService(store, RESOURCES).create(
            owner.id, {"name": owner.id, "rules": [US_RULE], "gateways": [{"server": server}]}
        )
    stack.emulator.set_endpoint("sofia/*/sip:*@reseller.test", answer_after=0.1, hangup_after=0.3)
    stack.emulator.set_endpoint("sofia/*/sip:*@stranger.test", answer_after=0.1, hangup_after=0.3)
    for number, hunted in (("7600", reseller.id), ("7601", stranger.id)):
        data = {"hunt_account_id": hunted, "to_did": "+14155550123"}
        flow = node("resources", data, node("play", {"id": TONE}))
        customer.callflow([number], flow)

    through_reseller = stack.emulator.place_call("7600", variables=customer.variables)
    through_stranger = stack.emulator.place_call("7601", variables=customer.variables)

    for call in (through_reseller, through_stranger):
        assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    [dial] = bridged(through_reseller)
    assert dial.endswith("sip:4155550123@reseller.test")
    assert bridged(through_stranger) == []  # its own carriers: none
    trace = customer.wait_cdr(through_stranger.uuid)["trace"]
    assert any("is not an ancestor" in (e.get("note") or "") for e in trace)
    assert [c.args for c in through_stranger.commands if c.app == "playback"] == [TONE]
