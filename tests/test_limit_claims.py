"""The limits' claims (:mod:`kazoo_tasks.limit_claims`) on the real Redis: concurrent
claims never pass a limit, trunks are taken inbound / outbound, then two-way, then burst,
then per minute; a reseller's limit counts its accounts' calls; claims are idempotent,
given back, and expire (swept by the reaper's pass)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from kazoo_tasks.config import Settings
from kazoo_tasks.limit_claims import AccountLimits, LimitClaims

NOW = 1_000_000.0
LATER = NOW + 3600


@pytest.fixture
def claims(settings: Settings) -> Iterator[LimitClaims]:
    client = redis.Redis.from_url(settings.redis_url)
    yield LimitClaims(client, settings.namespace)
    for key in client.scan_iter(f"{settings.namespace}:*"):
        client.delete(key)
    client.close()


def call(claims: LimitClaims, member: str, *limits: AccountLimits, **kind):
    kind = {"call": True, "carrier": False, "direction": "inbound", **kind}
    return claims.claim(member, list(limits), now=NOW, expire_at=LATER, **kind)


def test_given_30_concurrent_calls_against_a_limit_of_5_then_exactly_5_are_claimed(claims):
    limits = AccountLimits("a1", calls=5)
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda i: call(claims, f"call-{i}", limits), range(30)))

    assert sum(r.allowed for r in results) == 5
    assert {(r.refused_by, r.reason) for r in results if not r.allowed} == {("a1", "hard_limit")}
    assert claims.in_use("a1", "calls", NOW) == 5


def test_given_a_claimed_call_then_claiming_it_again_passes_and_releasing_it_frees_its_place(
    claims,
):
    limits = AccountLimits("a1", calls=1)
    assert call(claims, "c1", limits).billings == ("limits_disabled",)
    assert call(claims, "c1", limits).billings == ("again",)  # a re-run step, a re-route
    assert not call(claims, "c2", limits).allowed

    claims.release(["c1"], ["a1"])

    assert call(claims, "c2", limits).allowed


def test_given_trunks_then_inbound_then_twoway_then_burst_then_per_minute_or_refused(claims):
    trunks = {"inbound_trunks": 1, "twoway_trunks": 1, "burst_trunks": 1}
    strict = AccountLimits("a1", **trunks, per_minute=False)
    inbound = {"carrier": True, "direction": "inbound"}
    outbound = {"call": False, "carrier": True, "direction": "outbound"}

    got = [call(claims, f"in-{i}", strict, **inbound) for i in range(3)]
    assert [g.billings for g in got] == [("flat_rate",), ("flat_rate",), ("flat_rate_burst",)]
    refused = call(claims, "out-1", strict, **outbound)  # no outbound trunk, all two-way used
    assert (refused.refused_by, refused.reason) == ("a1", "trunks_exhausted")
    paying = AccountLimits("a1", **trunks)
    assert call(claims, "out-2", paying, **outbound).billings == ("per_minute",)
    assert claims.in_use("a1", "resource", NOW) == 4  # per-minute calls use carriers too
    assert claims.in_use("a1", "inbound", NOW) == 3 and claims.in_use("a1", "calls", NOW) == 3


def test_given_resource_consuming_calls_then_carrier_calls_only_count_against_it(claims):
    limits = AccountLimits("a1", resource_consuming_calls=1)
    assert call(claims, "internal", limits).allowed
    assert call(claims, "c1", limits, carrier=True).billings == ("per_minute",)
    refused = call(claims, "c2-out", limits, call=False, carrier=True, direction="outbound")
    assert (refused.refused_by, refused.reason) == ("a1", "hard_limit")


def test_given_a_resellers_limit_then_its_accounts_calls_count_against_it(claims):
    reseller = AccountLimits("reseller", calls=1)
    first = call(claims, "c1", AccountLimits("child1"), reseller)
    second = call(claims, "c2", AccountLimits("child2"), reseller)

    assert first.billings == ("limits_disabled", "limits_disabled")
    assert (second.refused_by, second.reason) == ("reseller", "hard_limit")
    assert claims.in_use("child2", "calls", NOW) == 0  # a refused claim takes nothing


def test_given_claims_whose_calls_were_never_seen_to_end_then_they_expire_and_are_swept(claims):
    limits = AccountLimits("a1", calls=1)
    claims.claim("lost", [limits], call=True, carrier=False, direction="inbound",
                 now=NOW, expire_at=NOW + 10)  # fmt: skip

    assert not call(claims, "c1", limits).allowed
    assert claims.sweep(NOW + 11) == 1
    assert claims.client.zcard(claims.key("a1", "calls")) == 0
    assert claims.claim("c2", [limits], call=True, carrier=False, direction="inbound",
                        now=NOW + 11, expire_at=NOW + 20).allowed  # fmt: skip
