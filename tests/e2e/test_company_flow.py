"""The demo company of ``make run`` (kazoo_tasks/demo_company.py), called by scripted
callers: open hours → menu; 1 → the sales ring group (two users' phones), 2 → support
(a user), 0 → the front desk (a device), no key → voicemail; closed → voicemail at once.
Each branch is checked on the switch (what rang, what was recorded), in the CDRs of both
legs and in the call's trace."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api.documents import DocumentService
from api.temporal_rules.resource import SPEC as TEMPORAL_RULES
from api.vmboxes.resource import SPEC as VMBOXES
from kazoo_tasks import services
from kazoo_tasks.demo_company import COMPANY_NUMBER, MAILBOX, PHONES, seed_company
from kazoo_tasks.docstore import ACCOUNTS_DB, account_db
from kazoo_tasks.esl.emulator import script as s
from kazoo_tasks.keys import registration_key
from tests.e2e.voicemail_kit import Office, start_office
from tests.waiting import wait_for

REALM = "company.sip.example.net"
TUESDAY_10AM = "2030-01-08T10:00:00-05:00"
SUNDAY_10AM = "2030-01-06T10:00:00-05:00"
LEAVE_A_MESSAGE = [s.on_app("record").wait(4).press("#")]  # then no choice: the message is kept


def prepare(store, account, *, weekdays_only: bool) -> None:
    """The account gets a realm and a timezone, then the demo company."""
    for db in (ACCOUNTS_DB, account_db(account.id)):
        doc = store.get(db, account.id)
        store.save(db, {**doc, "realm": REALM, "timezone": "America/New_York"})
    seed_company(store, account.id)
    if weekdays_only:
        [rule] = store.find(account_db(account.id), {"pvt_type": "temporal_rule"})
        public = {k: v for k, v in rule.items() if not k.startswith(("_", "pvt_"))}
        wdays = ["monday", "tuesday", "wednesday", "thursday", "friday"]
        DocumentService(store, TEMPORAL_RULES).replace(
            account.id, rule["_id"], {**public, "wdays": wdays}
        )


def open_office(settings, store, account, stack_factory, clock: str) -> Iterator[Office]:
    """The stack on ``clock``, with the company's phones registered and scripted."""
    overrides: dict[str, Any] = {"call_clock": clock}
    for office in start_office(settings, store, account, stack_factory, overrides):
        redis = services.redis_client(office.stack.settings)
        for phone in PHONES:
            office.stack.emulator.set_endpoint(f"sofia/*/{phone.username}@*", **phone.rule)
            office.stack.emulator.register(phone.username, realm=REALM)
            key = registration_key(office.stack.settings.namespace, REALM, phone.username)
            wait_for(lambda k=key, r=redis: r.get(k), 15, f"{phone.username}'s registration")
        yield office


@pytest.fixture
def company(settings, store, account, stack_factory) -> Iterator[Office]:
    prepare(store, account, weekdays_only=False)
    yield from open_office(settings, store, account, stack_factory, TUESDAY_10AM)


def mailbox(office: Office) -> str:
    [box] = office.store.find(account_db(office.account.id), {"pvt_type": VMBOXES.pvt_type})
    assert box["mailbox"] == MAILBOX
    return box["_id"]


def path(cdr: dict[str, Any]) -> list[tuple[str, str]]:
    """The modules the call ran, each with where it went (``continue:1``, ``stop``...)."""
    return [
        (entry["module"], entry["outcome"])
        for entry in cdr["trace"]
        if entry.get("step") in ("start", "event") and entry.get("outcome") != "wait"
    ]


def legs_by_phone(office: Office, call) -> dict[str, str]:
    """Each B leg's phone (SIP user) and hangup cause, from the legs' own CDRs."""
    cdrs = [office.account.wait_cdr(leg.uuid) for leg in call.legs]
    return {cdr["callee_id_number"]: cdr["hangup_cause"] for cdr in cdrs}


def test_given_open_hours_when_the_caller_presses_1_then_sales_rings_and_sally_answers(
    company: Office,
):
    call = company.call(COMPANY_NUMBER, script=[s.on_playback(1).press("1")])

    assert call.wait_hangup(timeout=60) == "NORMAL_CLEARING"
    assert legs_by_phone(company, call) == {"1101": "NORMAL_CLEARING", "1102": "LOSE_RACE"}
    cdr = company.account.wait_cdr(call.uuid)
    sally = next(
        leg for leg in call.legs if company.account.wait_cdr(leg.uuid)["callee_id_number"] == "1101"
    )
    assert cdr["other_leg_call_id"] == sally.uuid
    rule = path(cdr)[0][1]
    assert path(cdr) == [("temporal_route", rule), ("menu", "continue:1"), ("ring_group", "stop")]
    assert rule.startswith("continue:") and rule != "continue:_"


def test_given_sales_when_nobody_answers_then_the_caller_leaves_a_message(company: Office):
    company.stack.emulator.set_endpoint("sofia/*/1101@*", no_answer=True)

    call = company.call(COMPANY_NUMBER, script=[s.on_playback(1).press("1"), *LEAVE_A_MESSAGE])

    assert call.wait_hangup(timeout=60) == "NORMAL_CLEARING"
    assert legs_by_phone(company, call) == {"1101": "NO_ANSWER", "1102": "NO_ANSWER"}
    assert path(company.account.wait_cdr(call.uuid))[1:] == [
        ("menu", "continue:1"), ("ring_group", "continue:_"), ("voicemail", "continue:_"),
    ]  # fmt: skip
    [message] = company.wait_messages(mailbox(company), 1)
    assert message["call_id"] == call.uuid and message["folder"] == "new"


def test_given_support_busy_when_the_caller_presses_2_then_voicemail_takes_the_message(
    company: Office,
):
    call = company.call(COMPANY_NUMBER, script=[s.on_playback(1).press("2"), *LEAVE_A_MESSAGE])

    assert call.wait_hangup(timeout=60) == "NORMAL_CLEARING"
    assert legs_by_phone(company, call) == {"1201": "USER_BUSY"}
    assert path(company.account.wait_cdr(call.uuid))[1:] == [
        ("menu", "continue:2"), ("user", "continue:_"), ("voicemail", "continue:_"),
    ]  # fmt: skip
    assert len(company.wait_messages(mailbox(company), 1)) == 1


def test_given_open_hours_when_the_caller_presses_0_then_the_front_desk_answers(
    company: Office,
):
    call = company.call(COMPANY_NUMBER, script=[s.on_playback(1).press("0")])

    assert call.wait_hangup(timeout=60) == "NORMAL_CLEARING"
    assert legs_by_phone(company, call) == {"1001": "NORMAL_CLEARING"}
    cdr = company.account.wait_cdr(call.uuid)
    assert cdr["other_leg_call_id"] == call.legs[0].uuid
    assert path(cdr)[1:] == [("menu", "continue:0"), ("device", "stop")]


def test_given_a_caller_who_presses_nothing_then_the_menu_times_out_to_voicemail(
    company: Office,
):
    call = company.call(COMPANY_NUMBER, script=LEAVE_A_MESSAGE)

    assert call.wait_hangup(timeout=90) == "NORMAL_CLEARING"
    assert call.legs == []
    assert path(company.account.wait_cdr(call.uuid))[1:] == [
        ("menu", "continue:timeout"), ("voicemail", "continue:_"),
    ]  # fmt: skip
    assert len(company.wait_messages(mailbox(company), 1)) == 1


def test_given_a_sunday_when_the_company_opens_on_weekdays_then_voicemail_answers_at_once(
    settings, store, account, stack_factory
):
    prepare(store, account, weekdays_only=True)
    for office in open_office(settings, store, account, stack_factory, SUNDAY_10AM):
        call = office.call(COMPANY_NUMBER, script=LEAVE_A_MESSAGE)

        assert call.wait_hangup(timeout=60) == "NORMAL_CLEARING"
        assert call.legs == []
        cdr = office.account.wait_cdr(call.uuid)
        assert path(cdr) == [("temporal_route", "continue:_"), ("voicemail", "continue:_")]
        assert len(office.wait_messages(mailbox(office), 1)) == 1
