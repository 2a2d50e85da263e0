"""An account's phone numbers, kept where routing finds them: one document per number in
the system ``numbers`` database (:mod:`callflow.router`), whose ``account_id`` owns it.

A number is the account's when a callflow of it lists the number (the callflow claims
it when saved: ``used_by: callflow``, state ``in_service``), or when the account added
it here (``PUT``: state ``reserved`` unless ``create_with_state`` says otherwise; marked
:data:`~callflow.router.ADDED`, so it stays the account's when no callflow uses it).
Numbers are named in E.164 (``4155550100`` is ``+14155550100``, as in Kazoo); a callflow
may write a North American number in any of its forms, which are one number here.
A number's public fields (``cnam``, ``e911``, any field of the client's) are stored on
its document; its ``features`` follow from them, as Kazoo lists them.
"""

from __future__ import annotations

import re
from typing import Any

from api.documents import Document, merge_patch, validate
from api.errors import (
    ApiError,
    ClientError,
    NotFoundError,
    RevisionConflict,
    ValidationFailed,
    field_error,
)
from callflow.router import ADDED, NUMBER_TYPE, is_did, number_forms
from kazoo_tasks.clock import now_gregorian
from kazoo_tasks.docstore import NUMBERS_DB, Conflict, DocumentStore, NotFound
from schemas.base import is_client_key
from schemas.phone_numbers import PhoneNumberSchema

IN_SERVICE = "in_service"
PUBLIC = "public"
"""The key of a number document holding the fields clients write."""
_DIGITS = re.compile(r"^\+?[0-9]+$")


class NumberExists(ApiError, code=409, message="number_exists"):
    """409: the number is held already (by this account or another)."""


class NotReconcilable(ApiError, code=404, message="not_reconcilable"):
    """404: not a number that can be routed to an account (Kazoo's ``reconcile_regex``)."""


def normalize(number: str) -> str:
    """``number`` in E.164 as Kazoo normalizes it (10 digits: ``+1`` added; 11 digits
    starting with 1: ``+`` added); 404 ``not_reconcilable`` when it is no DID."""
    if not _DIGITS.match(number):
        raise _not_reconcilable(number)
    if not number.startswith("+"):
        number = f"+1{number}" if len(number) == 10 else f"+{number}"
    if not is_did(number):
        raise _not_reconcilable(number)
    return number


def _not_reconcilable(number: str) -> NotReconcilable:
    return NotReconcilable(
        {"cause": number, "code": 404, "error": "not_reconcilable",
         "message": f"number {number} is not reconcilable"}
    )  # fmt: skip


def features(public: dict[str, Any]) -> list[str]:
    """The number's features, from its public fields (Kazoo's names)."""
    found = []
    cnam = public.get("cnam") or {}
    if cnam.get("display_name"):
        found.append("outbound_cnam")
    if cnam.get("inbound_lookup"):
        found.append("inbound_cnam")
    if public.get("e911"):
        found.append("e911")
    if public.get("failover"):
        found.append("failover")
    if (public.get("prepend") or {}).get("enabled"):
        found.append("prepend")
    if public.get("force_outbound"):
        found.append("force_outbound")
    return found


def state_of(docs: list[Document]) -> str:
    """``in_service`` when a callflow uses one of its forms, else the state it was added in."""
    if any(doc.get("callflow_id") for doc in docs):
        return IN_SERVICE
    return next((doc["pvt_state"] for doc in docs if doc.get("pvt_state")), IN_SERVICE)


def number_view(number: str, docs: list[Document]) -> Document:
    """A number as Kazoo shows one: its public fields, ``state``, ``features``,
    ``used_by``, and the same under ``_read_only`` with its times."""
    primary = _primary(number, docs)
    public = dict(primary.get(PUBLIC) or {})
    read_only: Document = {
        "created": min(doc.get("pvt_created", 0) for doc in docs),
        "modified": max(doc.get("pvt_modified", 0) for doc in docs),
        "state": state_of(docs),
        "features": features(public),
    }
    if any(doc.get("callflow_id") for doc in docs):
        read_only["used_by"] = "callflow"
    shown = {k: read_only[k] for k in ("state", "features", "used_by") if k in read_only}
    return {**public, **shown, "id": number, "_read_only": read_only}


def listing_entry(number: str, docs: list[Document], account_id: str) -> Document:
    """A number's entry in the account's list (Kazoo's ``numbers`` map)."""
    view = number_view(number, docs)["_read_only"]
    entry = {"assigned_to": account_id, "created": view["created"], "updated": view["modified"],
             "state": view["state"], "features": view["features"]}  # fmt: skip
    if "used_by" in view:
        entry["used_by"] = view["used_by"]
    return entry


def _primary(number: str, docs: list[Document]) -> Document:
    """The document holding the number's public fields: its E.164 one, else the first."""
    return next((doc for doc in docs if doc["_id"] == number), docs[0])


def _number_not_found() -> NotFoundError:
    return NotFoundError(
        {"message": "bad identifier", "not_found": "The number could not be found"}
    )


class PhoneNumbers:
    """The numbers of one account."""

    def __init__(self, store: DocumentStore) -> None:
        self.store = store

    # -- reads -----------------------------------------------------------------------------

    def list(self, account_id: str) -> dict[str, Document]:
        """Every number of the account, E.164 -> its list entry, in number order."""
        self.store.ensure_db(NUMBERS_DB)
        grouped: dict[str, list[Document]] = {}
        for doc in self.store.find(NUMBERS_DB, {"pvt_type": NUMBER_TYPE, "account_id": account_id}):
            try:
                grouped.setdefault(normalize(doc["_id"]), []).append(doc)
            except NotReconcilable:
                continue
        return {n: listing_entry(n, docs, account_id) for n, docs in sorted(grouped.items())}

    def read(self, account_id: str, number: str) -> Document:
        """One number of the account (404 when it is not the account's)."""
        number = normalize(number)
        return number_view(number, self._owned(account_id, number))

    # -- writes ----------------------------------------------------------------------------

    def add(self, account_id: str, number: str, data: Any) -> Document:
        """Add a number to the account (409 when anyone holds it already)."""
        number = normalize(number)
        public = self._public(data)
        state = public.pop("create_with_state", "reserved")
        if self._held(number):
            raise self._exists(number)
        now = now_gregorian()
        doc = {
            "_id": number, "pvt_type": NUMBER_TYPE, "account_id": account_id, ADDED: True,
            "pvt_state": state, "pvt_created": now, "pvt_modified": now, PUBLIC: public,
        }  # fmt: skip
        self.store.ensure_db(NUMBERS_DB)
        try:
            saved = self.store.save(NUMBERS_DB, doc)
        except Conflict:
            raise self._exists(number) from None
        return number_view(number, [saved])

    def replace(self, account_id: str, number: str, data: Any) -> Document:
        """Replace the number's public fields."""
        number = normalize(number)
        return self._write(account_id, number, lambda _: self._public(data))

    def patch(self, account_id: str, number: str, data: Any) -> Document:
        """Merge ``data`` into the number's public fields (``null`` removes one)."""
        number = normalize(number)
        if not isinstance(data, dict):
            raise ValidationFailed({"data": {"type": {"message": "data must be an object"}}})
        return self._write(
            account_id, number, lambda public: self._public(merge_patch(public, data))
        )

    def remove(self, account_id: str, number: str) -> Document:
        """Take the number from the account (state ``available``); 400 while a callflow
        uses it (remove it from the callflow first: nothing is left half-routed)."""
        number = normalize(number)
        docs = self._owned(account_id, number)
        users = sorted({doc["callflow_id"] for doc in docs if doc.get("callflow_id")})
        if users:
            raise field_error(
                "number", "in_use", f"number {number} is used by callflow {users[0]}", cause=number
            )
        for doc in docs:
            try:
                self.store.delete(NUMBERS_DB, doc["_id"], doc["_rev"])
            except (NotFound, Conflict):
                pass
        view = number_view(number, docs)
        view["state"] = view["_read_only"]["state"] = "available"
        return view

    def move_to(self, account_id: str, number: str, state: str, data: Any) -> Document:
        """Kazoo's ``reserve`` / ``port`` / ``activate``: the account's number moves to
        ``state`` (its public fields merged with ``data``); a number nobody holds is
        created in that state by ``reserve`` and ``port``. ``activate`` takes only a number
        the account holds: Kazoo activates numbers a carrier search offered, and no
        carrier offers any here (404)."""
        number = normalize(number)
        if not isinstance(data, dict):
            raise ValidationFailed({"data": {"type": {"message": "data must be an object"}}})
        if not self._held(number):
            if state == IN_SERVICE:
                raise _number_not_found()
            return self.add(account_id, number, {**data, "create_with_state": state})
        if not any(doc.get("account_id") == account_id for doc in self._held(number)):
            raise self._exists(number)
        return self._write(
            account_id, number, lambda public: self._public({**public, **data}), state
        )

    def identify(self, account_ids: Any, number: str) -> Document:
        """Which account holds ``number``: ``{"account_id", "number"}`` when that account
        is one of ``account_ids`` (the caller's account or its descendants, as
        ``account_ids(owner)`` decides), 404 otherwise; 400 ``not_in_service`` when it is
        not in service."""
        number = normalize(number)
        docs = self._held(number)
        owner = next((doc["account_id"] for doc in docs if doc.get("account_id")), None)
        if owner is None or not account_ids(owner):
            raise _number_not_found()
        if state_of(docs) != IN_SERVICE:
            raise ClientError({"account_id": owner, "cause": "not_in_service"})
        return {"account_id": owner, "number": number}

    def each(self, numbers: Any, apply: Any) -> Document:
        """Apply ``apply(number)`` to each of a collection's ``numbers``: Kazoo's
        ``{"success": {number: view}, "error": {number: error}}``."""
        if (
            not isinstance(numbers, list)
            or not numbers
            or not all(isinstance(n, str) for n in numbers)
        ):
            raise field_error("numbers", "required", "numbers must be a list of phone numbers")
        if len(numbers) == 1:  # Kazoo answers one number's failure as that error
            return {"success": {numbers[0]: apply(numbers[0])}}
        success: dict[str, Any] = {}
        error: dict[str, Any] = {}
        for number in numbers:
            try:
                success[number] = apply(number)
            except ApiError as failure:
                error[number] = failure.data
        answer: Document = {"success": success}
        if error:
            answer["error"] = error
        return answer

    # -- helpers ---------------------------------------------------------------------------

    def _public(self, data: Any) -> Document:
        """The client's fields of a number, validated (unknown ones are kept)."""
        loaded = validate(PhoneNumberSchema, data)
        return {k: v for k, v in loaded.items() if is_client_key(k) and k != "numbers"}

    def _held(self, number: str) -> list[Document]:
        """The documents holding any form of ``number``, whoever owns them."""
        held = []
        for form in number_forms(number):
            try:
                held.append(self.store.get(NUMBERS_DB, form))
            except NotFound:
                continue
        return held

    def _owned(self, account_id: str, number: str) -> list[Document]:
        """The account's documents of ``number`` (404 when it has none)."""
        docs = [doc for doc in self._held(number) if doc.get("account_id") == account_id]
        if not docs:
            raise _number_not_found()
        return docs

    def _exists(self, number: str) -> NumberExists:
        return NumberExists(
            {"cause": number, "code": 409, "error": "number_exists",
             "message": f"number {number} already exists"}
        )  # fmt: skip

    def _write(
        self, account_id: str, number: str, change: Any, state: str | None = None
    ) -> Document:
        """Save the number's public fields as ``change(current public fields)`` makes them
        (and its state, when ``state`` is given)."""
        for _ in range(5):
            docs = self._owned(account_id, number)
            primary = _primary(number, docs)
            public = change(dict(primary.get(PUBLIC) or {}))
            saved = {**primary, PUBLIC: public, "pvt_modified": now_gregorian()}
            if state is not None:
                saved["pvt_state"] = state
            try:
                self.store.save(NUMBERS_DB, saved)
            except Conflict:
                continue
            return number_view(number, self._owned(account_id, number))
        raise RevisionConflict()
