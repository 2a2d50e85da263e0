"""What a cache entry was built from: a document, every document of one type in a
database, or a whole database. An entry is erased when a change touches any of them."""

from __future__ import annotations

from dataclasses import dataclass

from kazoo_tasks.doc_changes import DocChange


@dataclass(frozen=True)
class Origin:
    """A source of a cache entry; build them with :func:`doc`, :func:`doc_type`, :func:`db`."""

    db: str
    doc_id: str | None = None
    pvt_type: str | None = None

    def touched_by(self, change: DocChange) -> bool:
        """Whether ``change`` may have changed what this origin names.

        A change whose type is unknown (a tombstone that kept no ``pvt_type``) touches
        every type origin of its database: erasing too much is safe, too little is not.
        """
        if change.db != self.db:
            return False
        if self.doc_id is not None:
            return change.doc_id == self.doc_id
        if self.pvt_type is not None:
            return change.pvt_type is None or change.pvt_type == self.pvt_type
        return True


def doc(db: str, doc_id: str) -> Origin:
    """One document."""
    return Origin(db=db, doc_id=doc_id)


def doc_type(db: str, pvt_type: str) -> Origin:
    """Every document of ``pvt_type`` in ``db`` (e.g. all callflows of an account)."""
    return Origin(db=db, pvt_type=pvt_type)


def db(name: str) -> Origin:
    """Every document of a database."""
    return Origin(db=name)
