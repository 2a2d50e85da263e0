"""Parking slots: which call waits in which numbered slot of an account (Kazoo's
``parking-slot-<n>`` documents in the account's database).

A slot is taken by saving its document, which the store refuses when it exists
(``Conflict``): two calls parking in one slot at the same moment, on two workers, cannot
both win. A slot whose call has ended (it hung up while parked, or was retrieved without
its slot being freed) is taken over; the retrieving call frees the slot it empties.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kazoo_tasks.docstore import Conflict, DocumentStore, NotFound, account_db

SLOT_TYPE = "parked_call"
FIRST_AUTO_SLOT = 100
"""Where automatic slot numbers start (Kazoo's default)."""
MAX_AUTO_SLOTS = 1000


def slot_id(number: str) -> str:
    return f"parking-slot-{number}"


@dataclass(frozen=True)
class Slot:
    """A taken slot: the parked call, who parked it (a device id, if known) and when."""

    number: str
    call_id: str
    parker: str | None
    parked_at: float


class ParkingLot:
    """The slots of one account; ``call_is_up`` tells whether a call still runs."""

    def __init__(
        self, store: DocumentStore, account_id: str, call_is_up: Callable[[str], bool]
    ) -> None:
        self.store = store
        self.db = account_db(account_id)
        self.call_is_up = call_is_up

    def occupant(self, number: str) -> Slot | None:
        """The live call in slot ``number`` (None: empty, or its call has ended)."""
        doc = self._doc(number)
        if doc is None or not self.call_is_up(doc.get("call_id", "")):
            return None
        return Slot(number, doc["call_id"], doc.get("parker"), doc.get("parked_at", 0.0))

    def take(self, number: str, call_id: str, parker: str | None) -> bool:
        """Put ``call_id`` in slot ``number``; False when a live call holds it."""
        while True:
            doc = self._doc(number)
            holder = (doc or {}).get("call_id")
            if holder and holder != call_id and self.call_is_up(holder):
                return False
            new: dict[str, Any] = {
                "_id": slot_id(number),
                "pvt_type": SLOT_TYPE,
                "slot": number,
                "call_id": call_id,
                "parker": parker,
                "parked_at": time.time(),
            }
            if doc is not None:
                new["_rev"] = doc["_rev"]
            try:
                self.store.save(self.db, new)
                return True
            except Conflict:
                continue  # someone else wrote it meanwhile: look again

    def take_free(self, call_id: str, parker: str | None, highest: int | None) -> str | None:
        """Put ``call_id`` in the lowest free slot from :data:`FIRST_AUTO_SLOT` (at most
        ``highest``); its number, or None when every allowed slot is held."""
        last = highest if highest is not None else FIRST_AUTO_SLOT + MAX_AUTO_SLOTS
        for number in range(FIRST_AUTO_SLOT, last + 1):
            if self.take(str(number), call_id, parker):
                return str(number)
        return None

    def free(self, number: str, call_id: str) -> None:
        """Empty slot ``number`` if it still holds ``call_id``."""
        doc = self._doc(number)
        if doc is None or doc.get("call_id") != call_id:
            return
        try:
            self.store.delete(self.db, doc["_id"], doc["_rev"])
        except (Conflict, NotFound):
            pass

    def _doc(self, number: str) -> dict[str, Any] | None:
        try:
            doc = self.store.get(self.db, slot_id(number))
        except NotFound:
            return None
        return doc if doc.get("pvt_type") == SLOT_TYPE else None
