"""The doc-change notification: one definition for the changes process that publishes it
and every consumer (caches, API, callflow engine) that binds to it.

Notifications travel on the topic exchange :func:`kazoo_tasks.bus.docs_exchange` with the
routing key ``<db>.<pvt_type>.<id>``. AMQP topic words are separated by ``.`` and ``*`` /
``#`` are wildcards in bindings, so every word is percent-encoded for ``% . * # /``: an
account database ``account/ab/cd/ef…`` appears as ``account%2Fab%2Fcd%2Fef…`` (Kazoo's
URL form, one word), and bindings like ``account%2Fab%2Fcd%2Fef….#`` (everything of one
account) or ``*.callflow.*`` (every callflow) work. A document without ``pvt_type``
(or a tombstone deleted without keeping it) has the type word ``_``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import unquote

DOC_CREATED = "doc_created"
DOC_EDITED = "doc_edited"
DOC_DELETED = "doc_deleted"
NAMES = (DOC_CREATED, DOC_EDITED, DOC_DELETED)

UNTYPED = "_"
"""The type word of a document that has no ``pvt_type``."""

_ENCODED = {"%": "%25", ".": "%2E", "*": "%2A", "#": "%23", "/": "%2F"}


def encode_word(value: str) -> str:
    """One routing-key word: ``% . * # /`` percent-encoded, everything else as is."""
    return "".join(_ENCODED.get(char, char) for char in value)


def decode_word(word: str) -> str:
    """The value a routing-key word was encoded from."""
    return unquote(word)


def binding_key(
    db: str | None = None, pvt_type: str | None = None, doc_id: str | None = None
) -> str:
    """A binding key for the docs exchange; a part left as None matches anything.

    ``binding_key(db)`` is every change of one database, ``binding_key(pvt_type="callflow")``
    every callflow anywhere, ``binding_key()`` everything.
    """
    words = [encode_word(part) if part is not None else "*" for part in (db, pvt_type, doc_id)]
    return ".".join(words)


@dataclass(frozen=True)
class DocChange:
    """A document was created, edited or deleted (what the changes process publishes)."""

    name: str
    db: str
    doc_id: str
    rev: str
    pvt_type: str | None = None
    account_id: str | None = None
    seq: str | None = None

    def __post_init__(self) -> None:
        if self.name not in NAMES:
            raise ValueError(f"not a doc-change notification: {self.name!r}")

    @property
    def routing_key(self) -> str:
        """``<db>.<pvt_type>.<id>``, each word encoded (see the module docstring)."""
        return ".".join(
            encode_word(word) for word in (self.db, self.pvt_type or UNTYPED, self.doc_id)
        )

    def to_body(self) -> dict[str, Any]:
        """The JSON message body."""
        return asdict(self)

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> DocChange:
        """Rebuild a notification from a message body; ValueError when it is not one."""
        try:
            return cls(
                name=str(body["name"]),
                db=str(body["db"]),
                doc_id=str(body["doc_id"]),
                rev=str(body["rev"]),
                pvt_type=body.get("pvt_type"),
                account_id=body.get("account_id"),
                seq=body.get("seq"),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a doc-change notification: {body!r}") from exc
