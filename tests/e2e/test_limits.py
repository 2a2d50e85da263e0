"""Account limits enforced on the whole pipeline (Kazoo's jonny5, :mod:`callflow.limits`):
calls from a carrier (a DID) over the account's trunks are refused with ``USER_BUSY``,
calls out through ``resources`` over them with ``OUTGOING_CALL_BARRED``, the ``calls``
hard limit of a reseller holds for its accounts' calls; a hangup gives the place back;
many concurrent calls never pass the limit; the counts survive a worker killed with
SIGKILL, and calls whose hangup never comes (their switch gone) give their places back
when the reaper closes them."""

from __future__ import annotations

from typing import Any

import pytest

from api.call_limits.service import LimitsService
from kazoo_tasks.limit_claims import LimitClaims
from kazoo_tasks.testing import RoleProcess
from tests.e2e.conftest import Account, node
from tests.e2e.test_carriers import Carriers, bridged
from tests.waiting import wait_for

DID = "+14155550160"
HOLD = node("answer", then=node("wait_for_hangup"))
DEVICE_ID = "d" * 32


def set_limits(store, account_id: str, **limits: Any) -> None:
    LimitsService(store).replace(account_id, limits, by_ancestor=True)


def from_carrier(stack, number: str = DID):
    """A call from a carrier: to a DID, without the account or device of a phone."""
    return stack.emulator.place_call(number)


def from_phone(stack, account: Account, number: str):
    variables = {**account.variables, "ecallmgr_Authorizing-ID": DEVICE_ID}
    return stack.emulator.place_call(number, variables=variables)


def settle(calls: list, timeout: float = 60.0) -> tuple[list, list]:
    """Wait until each call is answered or hung up; the answered ones still up, and the
    ones hung up."""

    def done() -> bool:
        return all(c.hangup_cause is not None or c.answered_at is not None for c in calls)

    wait_for(done, timeout, "every call answered or refused")
    return [c for c in calls if c.is_up], [c for c in calls if not c.is_up]


def refusal(account: Account, call) -> str:
    """The note of the CDR's ``limits`` step."""
    trace = account.wait_cdr(call.uuid)["trace"]
    [step] = [s for s in trace if s.get("step") == "limits"]
    assert step["outcome"] == "refused"
    return step["note"]


def hang_up(account: Account, call) -> None:
    """Hang ``call`` up and wait for its CDR (its claims are given back by then)."""
    call.hangup()
    call.wait_hangup(timeout=30)
    account.wait_cdr(call.uuid)


def test_given_two_trunks_when_three_carrier_calls_come_then_two_connect_one_is_refused_and_a_hangup_frees_a_trunk(  # noqa: E501
    stack, store, account
):
    set_limits(store, account.id, twoway_trunks=2, allow_prepay=False)
    account.callflow([DID], HOLD)

    up, refused = settle([from_carrier(stack) for _ in range(3)])

    assert len(up) == 2 and len(refused) == 1
    [barred] = refused
    assert barred.hangup_cause == "USER_BUSY" and barred.answered_at is None
    assert refusal(account, barred) == f"trunks_exhausted (account {account.id})"
    hang_up(account, up[0])
    assert account.cdr(up[0].uuid)["custom_channel_vars"]["Account-Billing"] == "flat_rate"
    again = from_carrier(stack)
    again.wait_answered(timeout=30)
    assert again.is_up
    for call in (up[1], again):
        hang_up(account, call)


def test_given_one_outbound_trunk_when_two_phones_call_out_then_the_second_is_barred(
    stack, store, account
):
    carriers = Carriers(stack, store, account)
    carriers.resource("Carrier", ["gw.carrier.test"])
    carriers.gateway("gw.carrier.test", answer_after=0.05)  # the far end stays on
    account.callflow(["no_match"], node("resources"))
    set_limits(store, account.id, outbound_trunks=1, allow_prepay=False)

    first = from_phone(stack, account, "4155550123")
    wait_for(lambda: first.legs and first.legs[0].answered_at, 30, "the first call out")
    second = from_phone(stack, account, "4155550124")

    assert second.wait_hangup(timeout=30) == "OUTGOING_CALL_BARRED"
    assert bridged(second) == [] and first.is_up
    notes = [s.get("note") for s in account.wait_cdr(second.uuid)["trace"]]
    assert f"refused by the limits: trunks_exhausted (account {account.id})" in notes
    hang_up(account, first)
    third = from_phone(stack, account, "4155550125")
    wait_for(lambda: third.legs and third.legs[0].answered_at, 30, "the third call out")
    hang_up(account, third)


def test_given_30_concurrent_carrier_calls_against_5_trunks_then_never_more_than_5_are_up(
    stack, store, account, redis_client
):
    set_limits(store, account.id, inbound_trunks=5, allow_prepay=False)
    account.callflow([DID], HOLD)

    calls = [from_carrier(stack) for _ in range(30)]
    up, refused = settle(calls, timeout=120)

    assert len(up) == 5 and len(refused) == 25
    assert sum(c.answered_at is not None for c in calls) == 5  # no refused call was answered
    assert {c.hangup_cause for c in refused} == {"USER_BUSY"}
    for call in up:
        hang_up(account, call)
    for call in refused:
        account.wait_cdr(call.uuid)
    claims = LimitClaims(redis_client, stack.settings.namespace)
    assert [claims.in_use(account.id, which, 0) for which in ("calls", "inbound")] == [0, 0]


def test_given_a_resellers_calls_limit_then_its_sub_accounts_calls_count_against_it(stack, store):
    reseller = Account(store, "Reseller")
    customers = [Account(store, f"Customer {i}", parent_id=reseller.id) for i in (1, 2)]
    set_limits(store, reseller.id, calls=1)
    for customer in customers:
        customer.callflow(["5500"], HOLD)

    first = from_phone(stack, customers[0], "5500")
    first.wait_answered(timeout=30)
    second = from_phone(stack, customers[1], "5500")

    assert second.wait_hangup(timeout=30) == "USER_BUSY"
    assert refusal(customers[1], second) == f"hard_limit (account {reseller.id})"
    hang_up(customers[0], first)


def test_given_calls_up_when_a_worker_is_killed_then_the_counts_hold(stack, store, account):
    set_limits(store, account.id, calls=2)
    account.callflow(["5600"], HOLD)
    up = [from_phone(stack, account, "5600") for _ in range(2)]
    for call in up:
        call.wait_answered(timeout=30)

    stack.workers[0].kill()  # SIGKILL: nothing cleaned up
    stack.add_worker()
    barred = from_phone(stack, account, "5600")

    assert barred.wait_hangup(timeout=60) == "USER_BUSY"
    hang_up(account, up[0])
    passing = from_phone(stack, account, "5600")
    passing.wait_answered(timeout=30)
    for call in (up[1], passing):
        hang_up(account, call)


@pytest.mark.parametrize("number", ["911", "8005550100"])
def test_given_no_trunk_left_then_emergency_and_toll_free_numbers_still_go_out(
    stack, store, account, number
):
    carriers = Carriers(stack, store, account)
    carriers.resource("Carrier", ["gw.carrier.test"], rules=[".*"])
    carriers.gateway("gw.carrier.test", answer_after=0.05, hangup_after=0.2)
    account.callflow(["no_match", "911"], node("resources"))
    set_limits(store, account.id, outbound_trunks=0, allow_prepay=False)

    call = from_phone(stack, account, number)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert len(bridged(call)) == 1


def test_given_calls_up_when_their_switch_vanishes_then_the_reaper_gives_their_claims_back(
    stack_factory, store, account, redis_client, tmp_path
):
    set_limits(store, account.id, calls=2)
    account.callflow(["5700"], HOLD)
    overrides = {"node_down_grace": 2, "reap_interval": 0.5}
    stack = stack_factory(overrides=overrides)
    beat = RoleProcess(["beat"], stack.settings, tmp_path / "beat.log").start()
    claims = LimitClaims(redis_client, stack.settings.namespace)
    try:
        up = [from_phone(stack, account, "5700") for _ in range(2)]
        for call in up:
            call.wait_answered(timeout=30)
        assert claims.in_use(account.id, "calls", 0) == 2

        stack.emulator.stop()  # no hangup will ever be reported

        cdrs = [wait_for(lambda c=call: account.cdr(c.uuid), 60, "the CDR") for call in up]
        assert {cdr["hangup_cause"] for cdr in cdrs} == {"NODE_DOWN"}
        assert claims.in_use(account.id, "calls", 0) == 0
    finally:
        beat.stop()
