"""Devices, users and groups become legs of a ``bridge`` argument: registered contacts from
the real Redis registration store, routes, call forwarding, Kazoo's per-leg variables,
and no way for a caller-id name to split legs or add variables (a corpus, read back with
the emulator's FreeSWITCH dial-string parser)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from callflow.endpoints import (
    USER_NOT_REGISTERED,
    CallContext,
    CallerId,
    EndpointReader,
    LegOptions,
    bridge_argument,
    device_endpoints,
    registrations_from,
)
from kazoo_tasks import services
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore, account_db
from kazoo_tasks.docstore.embedded import EmbeddedDocumentStore
from kazoo_tasks.esl.emulator import Emulator
from kazoo_tasks.esl.emulator.client import EslClient
from kazoo_tasks.esl.emulator.endpoints import parse_dial_string
from kazoo_tasks.keys import registration_key
from workers.registrations import apply_registration, registration_record

ACCOUNT = "a" * 32
REALM = "demo.sip.local"


def register(client: redis.Redis, settings: Settings, user: str, port: int = 5062) -> None:
    """Store a registration exactly as the sofia::register task does."""
    headers = {
        "profile-name": "sipinterface_1",
        "from-user": user,
        "from-host": REALM,
        "contact": f'"" <sip:{user}@192.0.2.10:{port}>',
        "expires": "300",
        "network-ip": "192.0.2.10",
        "network-port": str(port),
        "username": user,
        "realm": REALM,
        "user-agent": "test-phone",
        "status": "Registered(UDP)",
        "Event-Date-Timestamp": "1796582732283057",
    }
    record = registration_record(headers, "fs1")
    assert apply_registration(client, settings, "sofia::register", record)


@pytest.fixture
def client(settings: Settings) -> redis.Redis:
    return services.redis_client(settings)


@pytest.fixture
def store(tmp_path) -> Iterator[DocumentStore]:
    value = EmbeddedDocumentStore(tmp_path / "documents.sqlite3")
    value.ensure_db(account_db(ACCOUNT))
    yield value
    value.close()


def device(name: str, username: str, **extra: object) -> dict:
    return {
        "_id": uuid.uuid4().hex,
        "pvt_type": "device",
        "name": name,
        "sip": {"username": username, "password": "secret-1"},
        **extra,
    }


def context(caller_name: str = "Alice Example", caller_number: str = "+14155550100"):
    return CallContext(ACCOUNT, REALM, CallerId(caller_name, caller_number))


def test_given_a_registered_device_when_built_then_its_contact_is_rung_with_kazoos_variables(
    settings: Settings, client: redis.Redis
):
    register(client, settings, "1001")
    phone = device("Desk", "1001", owner_id="b" * 32)

    legs = device_endpoints(
        phone,
        context(),
        registrations_from(client, settings.namespace),
        options=LegOptions(timeout=20, delay=5),
        callee=CallerId("Bob Example", "1001"),
    )

    assert [leg.target for leg in legs] == ["sofia/sipinterface_1/1001@192.0.2.10:5062"]
    assert dict(legs[0].variables) == {
        "ecallmgr_Account-ID": ACCOUNT,
        "ecallmgr_Authorizing-ID": phone["_id"],
        "ecallmgr_Authorizing-Type": "device",
        "ecallmgr_Owner-ID": "b" * 32,
        "origination_caller_id_name": "Alice Example",
        "origination_caller_id_number": "+14155550100",
        "origination_callee_id_name": "Bob Example",
        "origination_callee_id_number": "1001",
        "leg_timeout": "20",
        "leg_delay_start": "5",
    }


def test_given_an_unregistered_device_when_bridged_then_the_bridge_fails_user_not_registered(
    settings: Settings, client: redis.Redis
):
    legs = device_endpoints(
        device("Desk", "1009"), context(), registrations_from(client, settings.namespace)
    )

    plan = bridge_argument(legs)

    assert legs[0].failure == USER_NOT_REGISTERED
    assert plan.argument == "error/USER_NOT_REGISTERED"
    assert plan.failure_cause == USER_NOT_REGISTERED


def test_given_registered_and_unregistered_devices_when_bridged_then_only_registered_ring(
    settings: Settings, client: redis.Redis
):
    register(client, settings, "1001")
    register(client, settings, "1003", port=5070)
    registrations = registrations_from(client, settings.namespace)
    legs = [
        leg
        for phone in (device("A", "1001"), device("B", "1002"), device("C", "1003"))
        for leg in device_endpoints(phone, context(), registrations)
    ]

    simultaneous = bridge_argument(legs, "simultaneous")
    single = bridge_argument(legs, "single")

    _, groups = parse_dial_string(simultaneous.argument)
    assert [[leg.endpoint for leg in group] for group in groups] == [
        ["sofia/sipinterface_1/1001@192.0.2.10:5062", "sofia/sipinterface_1/1003@192.0.2.10:5070"]
    ]
    _, groups = parse_dial_string(single.argument)
    assert [[leg.endpoint for leg in group] for group in groups] == [
        ["sofia/sipinterface_1/1001@192.0.2.10:5062"],
        ["sofia/sipinterface_1/1003@192.0.2.10:5070"],
    ]
    assert [leg.failure for leg in single.unreachable] == [USER_NOT_REGISTERED]
    assert single.failure_cause is None
    with pytest.raises(ValueError):
        bridge_argument(legs, "weighted_random")


def test_given_route_and_call_forward_devices_when_built_then_kazoos_targets(
    settings: Settings, client: redis.Redis
):
    registrations = registrations_from(client, settings.namespace)
    route = device(
        "Trunk", "trunk1", sip={"invite_format": "route", "route": "sip:42@pbx.example.net:5060"}
    )
    forward = {"enabled": True, "number": "+14155550199", "require_keypress": True}
    forwarded = device("Fwd", "1004", call_forward=forward)
    beside = device("Both", "1005", call_forward={**forward, "substitute": False})
    failover = device("Away", "1006", call_forward={"failover": True, "number": "2000"})

    assert [leg.target for leg in device_endpoints(route, context(), registrations)] == [
        "sofia/sipinterface_1/sip:42@pbx.example.net:5060"
    ]
    assert [leg.target for leg in device_endpoints(forwarded, context(), registrations)] == [
        "loopback/+14155550199/context_2"
    ]
    both = device_endpoints(beside, context(), registrations)
    assert [(leg.target, leg.failure) for leg in both] == [
        (None, USER_NOT_REGISTERED),
        ("loopback/+14155550199/context_2", None),
    ]
    assert [leg.target for leg in device_endpoints(failover, context(), registrations)] == [
        "loopback/2000/context_2"
    ]
    bad = device("Bad", "x", sip={"invite_format": "route", "route": "sip:a@b,sofia/x/y"})
    with pytest.raises(ValueError):
        device_endpoints(bad, context(), registrations)
    with pytest.raises(ValueError):
        device_endpoints(
            device("Bad", "y", call_forward={"enabled": True, "number": "1,2"}),
            context(),
            registrations,
        )


def test_given_a_user_and_a_group_when_read_then_they_expand_to_their_devices(
    settings: Settings, client: redis.Redis, store: DocumentStore
):
    db = account_db(ACCOUNT)
    user = store.save(db, {"_id": "u1", "pvt_type": "user", "first_name": "Bob", "last_name": "Ex"})
    for phone in (
        device("Bob desk", "2001", owner_id="u1", _id="d1"),
        device("Bob soft", "2002", owner_id="u1", _id="d2"),
        device("Bob old", "2003", owner_id="u1", _id="d3", enabled=False),
        device("Lobby", "2004", _id="d4"),
    ):
        store.save(db, phone)
    store.save(
        db,
        {
            "_id": "g1",
            "pvt_type": "group",
            "name": "Sales",
            "endpoints": {"d4": {"type": "device"}, "u1": {"type": "user"}},
        },
    )
    for username in ("2001", "2002", "2004"):
        register(client, settings, username)
    reader = EndpointReader(store, context(), registrations_from(client, settings.namespace))

    user_legs = reader.user(user["_id"], LegOptions(timeout=30))
    group_legs = reader.group("g1")

    assert [leg.endpoint_id for leg in user_legs] == ["d1", "d2"]
    assert all(dict(leg.variables)["origination_callee_id_name"] == "Bob Ex" for leg in user_legs)
    assert all(dict(leg.variables)["leg_timeout"] == "30" for leg in user_legs)
    assert [leg.endpoint_id for leg in group_legs] == ["d4", "d1", "d2"]
    assert reader.user("missing") == [] and reader.group("u1") == []


HOSTILE_NAMES = [
    "Smith, John",
    "Alice|Bob",
    "x]sofia/evil/1@1.2.3.4,[a=b",
    "{origination_uuid=x}",
    'O\'Brien "Pat"',
    "line\nevent-lock: true",
    "tab\there\r\n",
    "${system(rm -rf /)}",
    "$${hostname}",
    "a=b,leg_timeout=1",
    "<sip:x@y>",
    "^^:x=y",
    "\x00null\x7fdel",
    "Zoë Müller-Straße 東京",
    "x" * 500,
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_given_a_hostile_caller_id_name_when_legs_are_built_then_it_adds_no_leg_or_variable(
    settings: Settings, client: redis.Redis, name: str
):
    register(client, settings, "1001")
    register(client, settings, "1002", port=5064)
    registrations = registrations_from(client, settings.namespace)
    hostile = context(caller_name=name, caller_number=name)
    legs = [
        leg
        for phone in (device("A", "1001"), device(name, "1002"))
        for leg in device_endpoints(phone, hostile, registrations, callee=CallerId(name, name))
    ]

    plan = bridge_argument(legs)

    global_vars, groups = parse_dial_string(plan.argument)
    assert global_vars == {}
    assert [[leg.endpoint for leg in group] for group in groups] == [
        ["sofia/sipinterface_1/1001@192.0.2.10:5062", "sofia/sipinterface_1/1002@192.0.2.10:5064"]
    ]
    for leg, built in zip(groups[0], legs, strict=True):
        assert leg.variables == dict(built.variables)
        shown = leg.variables.get("origination_caller_id_name", "")
        assert not set(shown) & set(",|[]{}<>'\"$=^\n\r\t\x00:;/\\")
        assert len(shown) <= 64
    assert "\n" not in plan.argument and "$" not in plan.argument


def test_given_a_registration_with_a_forged_contact_when_built_then_the_device_is_unreachable(
    settings: Settings, client: redis.Redis
):
    client.set(
        registration_key(settings.namespace, REALM, "1001"),
        '{"contact": "<sip:1001@1.2.3.4,sofia/x/evil@5.6.7.8>", "profile": "sipinterface_1"}',
    )

    legs = device_endpoints(
        device("A", "1001"), context(), registrations_from(client, settings.namespace)
    )

    assert legs[0].failure == USER_NOT_REGISTERED


def test_given_a_bridge_argument_when_the_switch_bridges_it_then_legs_ring_with_their_variables(
    settings: Settings, client: redis.Redis
):
    register(client, settings, "1001")
    registrations = registrations_from(client, settings.namespace)
    reachable = device_endpoints(device("A", "1001"), context(), registrations)
    away = device_endpoints(device("B", "1002"), context(), registrations)

    with (
        Emulator(time_scale=0.02, originate_timeout=5) as emu,
        EslClient("127.0.0.1", emu.port, timeout=5) as esl,
    ):
        emu.set_endpoint("sofia/*/1001@*", answer_after=0.5, hangup_after=1)
        esl.subscribe("CHANNEL_EXECUTE_COMPLETE")
        caller = emu.place_call("1000")
        caller.wait_parked()
        esl.execute(caller.uuid, "set", "continue_on_fail=true")
        esl.execute(caller.uuid, "bridge", bridge_argument(reachable + away).argument)
        leg = caller.wait_for_leg()
        esl.execute(caller.uuid, "bridge", bridge_argument(away).argument)
        failed = None
        while failed is None:
            event = esl.wait_event("CHANNEL_EXECUTE_COMPLETE", uuid_=caller.uuid)
            if event.headers.get("variable_originate_disposition") == USER_NOT_REGISTERED:
                failed = event
        caller.hangup()

    assert leg.destination == "1001"
    assert failed.headers["Application"] == "bridge"
