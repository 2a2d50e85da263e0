"""Account limits enforced on calls, as Kazoo's jonny5 authorizes channels.

Two points authorize a call (:class:`Authorizer`):

* when a call is routed to its account (:meth:`Authorizer.call`): every call counts
  against the account's ``calls``; a call from a carrier (no ``Authorizing-ID``: it came
  in on a DID) is also a resource-consuming inbound call, against
  ``resource_consuming_calls`` and the flat-rate trunks. Refused: the call is hung up
  with ``USER_BUSY``, Kazoo's cause for an unauthorized inbound channel;
* when ``resources`` / ``offnet`` sends the call out through carriers
  (:meth:`Authorizer.outbound`): an outbound resource-consuming leg. Refused: the
  bridge fails with ``OUTGOING_CALL_BARRED`` (Kazoo's cause for an outbound channel).

A carrier call takes an inbound (or outbound) trunk, else a two-way one, else a burst
one (Kazoo's j5_flat_rate: numbers its flat-rate whitelist takes and blacklist leaves);
with none free it goes on "per minute" when the account allows it (``allow_prepay``,
the default, or ``allow_postpay``), else it is refused. There is no billing here:
per-minute calls are not rated and no balance is checked (Kazoo would refuse a prepay
call without credit). Outbound calls to emergency and US toll-free numbers are never
limited (j5's classification exception); ``authz_resource_types`` is not read (no
resource types here). The call's reseller (``pvt_reseller_id``, else the
root of its tree) is checked too, as j5 checks the reseller's limits after the
account's. The counts are claims in Redis (:mod:`kazoo_tasks.limit_claims`), released at
hangup and expiring with the call's keys.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import redis
import regex

from callflow import carriers
from callflow.documents import read_document
from kazoo_tasks.cache import Cache
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import ACCOUNTS_DB, DocumentStore, account_db
from kazoo_tasks.limit_claims import UNLIMITED, AccountLimits, Claimed, LimitClaims

LIMITS_ID = "limits"
AUTHORIZING_CCV = "Authorizing-ID"
"""Set on a call from one of our devices; a call without it came from a carrier."""
BILLING_CCVS = ("Account-Billing", "Reseller-Billing")
"""Where jonny5 writes how the account and the reseller pay for the call (custom channel
variables, so the CDR shows them); written here only when the call holds a trunk
(:data:`TRUNK_BILLINGS`): without billing, the other kinds say nothing."""
TRUNK_BILLINGS = frozenset({"flat_rate", "flat_rate_burst"})
INBOUND_REFUSED = "USER_BUSY"
OUTBOUND_REFUSED = "OUTGOING_CALL_BARRED"
FLAT_RATE_WHITELIST = regex.compile(r"^\+1\d{10}$")
FLAT_RATE_BLACKLIST = regex.compile(
    r"^\+1(684|264|268|242|246|441|284|345|767|809|829|849|473|671|876|664|670|787|939|869"
    r"|758|784|721|868|649|340|900|800|888|877|866|855|844)\d{7}$"
)
"""Kazoo's default ``flat_rate_whitelist`` and ``flat_rate_blacklist`` (jonny5)."""
UNLIMITED_CLASSES = frozenset({"emergency", "tollfree_us"})
"""Outbound numbers jonny5 authorizes whatever the limits."""


def outbound_member(call_id: str) -> str:
    """The claim of a call's outbound carrier leg (the call's own id is its route claim)."""
    return f"{call_id}:out"


def _int(doc: dict[str, Any], key: str, default: int) -> int:
    value = doc.get(key)
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default
    )


def account_limits(
    store: DocumentStore, account_id: str, cache: Cache | None = None
) -> AccountLimits:
    """The account's ``limits`` document read as jonny5 reads it (Kazoo's defaults for
    what is not set: no hard limit, no trunks, per-minute calls allowed)."""
    doc = read_document(store, account_db(account_id), LIMITS_ID, cache) or {}
    return AccountLimits(
        account_id,
        calls=_int(doc, "calls", UNLIMITED),
        resource_consuming_calls=_int(doc, "resource_consuming_calls", UNLIMITED),
        inbound_trunks=_int(doc, "inbound_trunks", 0),
        outbound_trunks=_int(doc, "outbound_trunks", 0),
        twoway_trunks=_int(doc, "twoway_trunks", 0),
        burst_trunks=_int(doc, "burst_trunks", 0),
        per_minute=doc.get("allow_prepay", True) is not False or doc.get("allow_postpay") is True,
    )


def reseller_of(store: DocumentStore, account_id: str, cache: Cache | None = None) -> str | None:
    """The account's reseller (``pvt_reseller_id``, else the root of its tree); None when
    it is its own."""
    doc = read_document(store, ACCOUNTS_DB, account_id, cache) or {}
    tree = doc.get("pvt_tree") or []
    reseller = doc.get("pvt_reseller_id") or (tree[0] if tree else None)
    return str(reseller) if reseller and reseller != account_id else None


def flat_rate_eligible(number: str) -> bool:
    """Whether a call to or from ``number`` may use a flat-rate trunk."""
    e164 = carriers.to_e164(number)
    return bool(FLAT_RATE_WHITELIST.match(e164)) and not FLAT_RATE_BLACKLIST.match(e164)


def _no_trunks(limits: AccountLimits) -> AccountLimits:
    return dataclasses.replace(
        limits, inbound_trunks=0, outbound_trunks=0, twoway_trunks=0, burst_trunks=0
    )


class Authorizer:
    """Authorizes one call's channels against its account's and reseller's limits."""

    def __init__(
        self,
        store: DocumentStore,
        client: redis.Redis,
        settings: Settings,
        cache: Cache | None = None,
    ) -> None:
        self.store = store
        self.claims = LimitClaims(client, settings.namespace)
        self.settings = settings
        self.cache = cache

    def accounts(self, account_id: str) -> list[str]:
        """Whose limits apply to the account's calls: its own, then its reseller's."""
        reseller = reseller_of(self.store, account_id, self.cache)
        return [account_id] if reseller is None else [account_id, reseller]

    def _claim(
        self, member: str, accounts: list[str], number: str, now: float, **kind: Any
    ) -> Claimed:
        limits = [account_limits(self.store, a, self.cache) for a in accounts]
        if kind["carrier"] and not flat_rate_eligible(number):
            limits = [_no_trunks(limit) for limit in limits]
        return self.claims.claim(
            member, limits, **kind, now=now, expire_at=now + self.settings.call_ttl
        )

    def call(
        self, call_id: str, accounts: list[str], number: str, *, carrier: bool, now: float
    ) -> Claimed:
        """Authorize a routed call (``carrier``: it came from a carrier, to ``number``)."""
        return self._claim(call_id, accounts, number, now, call=True, carrier=carrier,
                           direction="inbound")  # fmt: skip

    def outbound(self, call_id: str, accounts: list[str], number: str, now: float) -> Claimed:
        """Authorize a call's outbound carrier leg to ``number`` (E.164)."""
        classified = carriers.classify(number)
        if classified in UNLIMITED_CLASSES:
            return Claimed(None, None, ("limits_disabled",))
        return self._claim(outbound_member(call_id), accounts, number, now, call=False,
                           carrier=True, direction="outbound")  # fmt: skip

    def release(self, call_id: str, accounts: list[str], *, outbound_only: bool = False) -> None:
        """Give back the call's claims (only its outbound leg's, with ``outbound_only``)."""
        members = [outbound_member(call_id)]
        self.claims.release(members if outbound_only else [call_id, *members], accounts)
