"""Choosing carriers as Kazoo's stepswitch does (callflow/carriers.py): E.164, rules and
their capture groups, classifiers, flags, caller-id rules, weights, and the dial strings a
gateway may and may not produce. (The calls themselves: tests/e2e/test_carriers.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from callflow.carriers import (
    configured_caller_id,
    formatted,
    gateway_leg,
    gateway_target,
    routes,
    to_e164,
)
from callflow.endpoints import CallerId

ACCOUNT = "0123456789abcdef0123456789abcdef"


def resource(doc_id: str, **fields: Any) -> dict[str, Any]:
    return {"_id": doc_id, "name": doc_id, "gateways": [{"server": f"{doc_id}.test"}], **fields}


@pytest.mark.parametrize(
    ("dialed", "e164"),
    [
        ("4155550100", "+14155550100"),
        ("14155550100", "+14155550100"),
        ("+14155550100", "+14155550100"),
        ("011442071234567", "+442071234567"),
        ("00442071234567", "+442071234567"),
        ("442071234567", "+442071234567"),
        ("911", "911"),
        ("2600", "2600"),
    ],
)
def test_given_dialed_numbers_then_kazoos_default_e164_converters(dialed: str, e164: str) -> None:
    assert to_e164(dialed) == e164


def test_given_rules_then_the_longest_capture_group_is_sent_and_weights_order() -> None:
    found = routes(
        [
            resource("b", rules=["^\\+(1)(\\d{10})$"], weight_cost=30),
            resource("a", rules=["^\\+1\\d{10}$"], weight_cost=10),
            resource("c", rules=["^\\+44"]),
            resource("d", rules=[]),
        ],
        "+14155550100",
    )
    assert [(r.resource_id, r.number) for r in found] == [
        ("a", "+14155550100"),
        ("b", "4155550100"),
    ]


def test_given_flags_then_only_the_resources_that_have_them() -> None:
    every = ["^(.*)$"]
    pool = [
        resource("plain", rules=every),
        resource("fax", rules=every, flags=["fax"]),
        resource("any", rules=every, ignore_flags=True),
        resource("picky", rules=every, require_flags=True, flags=["fax", "hd"]),
    ]
    assert {r.resource_id for r in routes(pool, "2600")} == {"plain", "fax", "any"}
    assert {r.resource_id for r in routes(pool, "2600", flags=["fax"])} == {"fax", "any", "picky"}
    assert {r.resource_id for r in routes(pool, "2600", flags=["fax", "hd"])} == {"any", "picky"}


def test_given_cid_rules_then_the_callers_number_must_match() -> None:
    pool = [resource("sf", rules=["^(.*)$"], cid_rules=["^\\+1415"])]
    assert routes(pool, "2600", caller_number="+14155550100")
    assert not routes(pool, "2600", caller_number="+13125550100")


def test_given_classifiers_then_they_win_over_rules_with_their_own_weight_and_affixes() -> None:
    pool = [
        resource(
            "tollfree",
            classifiers={"tollfree_us": {"prefix": "9", "suffix": "#", "weight_cost": 5}},
        ),
        resource("off", classifiers={"tollfree_us": {"enabled": False}}),
        resource("rules", rules=["^(.*)$"], weight_cost=1),
    ]
    [found] = routes(pool, "+18005550100")
    assert (found.resource_id, found.number, found.weight) == ("tollfree", "8005550100", 5)
    assert found.gateways[0]["prefix"] == "9" and found.gateways[0]["suffix"] == "#"
    assert [r.resource_id for r in routes(pool, "+14155550100")] == ["rules"]  # did_us: unclaimed


def test_given_an_emergency_number_then_the_route_is_an_emergency_one() -> None:
    [by_class] = routes([resource("e", classifiers={"emergency": {}})], "911")
    [by_rule] = routes([resource("r", rules=["^(911)$"])], "911")
    assert by_class.emergency and by_rule.emergency
    [flagged] = routes([resource("f", rules=["^(.*)$"], emergency=True)], "2600")
    assert flagged.emergency


@pytest.mark.parametrize(
    ("invite_format", "sent"),
    [("route", "+14155550100"), ("npan", "4155550100"), ("1npan", "14155550100"),
     ("strip_plus", "14155550100"), ("e164", "+14155550100")],
)  # fmt: skip
def test_given_invite_formats_then_the_number_is_reshaped(invite_format: str, sent: str) -> None:
    assert formatted("+14155550100", invite_format) == sent


def test_given_gateways_then_their_dial_strings_and_the_ones_refused() -> None:
    assert (
        gateway_target({"server": "gw.test", "port": 5080, "prefix": "0"}, "123", "p")
        == "sofia/p/sip:0123@gw.test:5080"
    )
    assert gateway_target({"route": "sip:trunk@10.0.0.1:5062"}, "123", "p") == (
        "sofia/p/sip:trunk@10.0.0.1:5062"
    )
    for bad in (
        {"server": "gw.test,evil"},
        {"server": "gw.test", "prefix": "]x"},
        {"server": "gw.test", "port": 70000},
        {"route": "sip:a@b\nX-Evil: 1"},
    ):
        with pytest.raises(ValueError):
            gateway_target(bad, "123", "p")


def test_given_a_gateway_leg_then_credentials_and_caller_id_are_safe_or_left_out() -> None:
    [route] = routes([resource("r", rules=["^(.*)$"])], "2600")
    caller = CallerId("Acme, Inc [HQ]", "+14155559000")
    leg = gateway_leg(
        route,
        {"server": "gw.test", "username": "acme", "password": "s3cret!"},
        account_id=ACCOUNT,
        caller=caller,
        profile="sipinterface_1",
        global_resource=False,
    )
    assert leg is not None
    dial = leg.dial()
    assert "sip_auth_password=s3cret!" in dial and "origination_caller_id_name=Acme Inc HQ" in dial
    assert dial.endswith("sofia/sipinterface_1/sip:2600@gw.test")
    refused = {"server": "gw.test", "password": "a,b]c"}
    disabled = {"server": "gw.test", "enabled": False}
    for gateway in (refused, disabled, {"server": "gw.test", "endpoint_type": "freetdm"}):
        assert (
            gateway_leg(
                route,
                gateway,
                account_id=ACCOUNT,
                caller=caller,
                profile="p",
                global_resource=False,
            )
            is None
        )


def test_given_caller_ids_on_device_owner_and_account_then_the_first_of_each_part() -> None:
    device = {"caller_id": {"external": {"number": "+14155551000"}}}
    owner = {"caller_id": {"external": {"name": "Bob"}, "emergency": {"number": "+14155551999"}}}
    account = {"caller_id": {"external": {"name": "Acme", "number": "+14155559000"}}}
    docs = [device, owner, account]
    assert configured_caller_id(docs, "external") == CallerId("Bob", "+14155551000")
    assert configured_caller_id(docs, "emergency") == CallerId("Bob", "+14155551999")
    assert configured_caller_id([None, {}], "external") == CallerId("", "")
