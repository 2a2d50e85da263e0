"""The embedded document store: every database in one SQLite file (stdlib, WAL mode).

Used when no CouchDB is configured. Several processes and threads may open the same file
at once: each thread of each process gets its own connection (re-opened after a fork),
writes take SQLite's write lock up front (``BEGIN IMMEDIATE``) and readers never block
writers (WAL). A database is a row in ``dbs``, so thousands of small per-account
databases cost nothing but their documents.

Revisions, conflicts, tombstones, attachment stubs and change feeds behave as CouchDB's;
the conformance suite in tests/docstore runs the same tests against both back ends.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kazoo_tasks.docstore.base import (
    Attachment,
    Change,
    ChangesPage,
    Conflict,
    DatabaseNotFound,
    DbUpdate,
    DbUpdatesPage,
    Document,
    DocumentStore,
    DocumentStoreError,
    InvalidRequest,
    NotFound,
    save_each,
)
from kazoo_tasks.docstore.documents import (
    check_doc_id,
    check_limit,
    checked_attachment,
    checked_document,
    checked_query,
    is_design_doc,
)
from kazoo_tasks.docstore.mango import sort_documents
from kazoo_tasks.docstore.naming import check_db_name

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (key, value) VALUES ('db_seq', 0);
CREATE TABLE IF NOT EXISTS dbs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    update_seq INTEGER NOT NULL DEFAULT 0,
    db_seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS dbs_live_name ON dbs (name) WHERE deleted = 0;
CREATE INDEX IF NOT EXISTS dbs_by_db_seq ON dbs (db_seq);
CREATE TABLE IF NOT EXISTS docs (
    db INTEGER NOT NULL,
    id TEXT NOT NULL,
    rev TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (db, id)
);
CREATE INDEX IF NOT EXISTS docs_by_seq ON docs (db, seq);
CREATE TABLE IF NOT EXISTS attachments (
    db INTEGER NOT NULL,
    doc TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (db, doc, name)
);
"""

_BUSY_TIMEOUT_S = 30.0


def _revision(previous: str | None, deleted: bool, body: Mapping[str, Any]) -> str:
    """``N-<md5>``: generation N and a hash of what the revision holds (deterministic)."""
    generation = int(previous.split("-", 1)[0]) + 1 if previous else 1
    material = json.dumps([previous or "", deleted, body], sort_keys=True, separators=(",", ":"))
    return f"{generation}-{hashlib.md5(material.encode()).hexdigest()}"


def _generation(rev: str) -> int:
    return int(rev.split("-", 1)[0])


def attachment_stub(data: bytes, content_type: str, revpos: int) -> dict[str, Any]:
    """What ``_attachments`` shows for an attachment, as CouchDB writes it."""
    digest = base64.b64encode(hashlib.md5(data).digest()).decode()
    return {
        "content_type": content_type,
        "revpos": revpos,
        "digest": f"md5-{digest}",
        "length": len(data),
        "stub": True,
    }


def _parse_seq(since: str, current: int) -> int:
    if since == "now":
        return current
    try:
        value = int(since)
    except (TypeError, ValueError):
        raise InvalidRequest(f"not a sequence of this store: {since!r}") from None
    if value < 0:
        raise InvalidRequest(f"not a sequence of this store: {since!r}")
    return value


class EmbeddedDocumentStore(DocumentStore):
    """Databases of documents in one SQLite file; safe across threads and processes."""

    def __init__(self, path: str | os.PathLike[str], *, poll_interval: float = 0.05) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.poll_interval = poll_interval
        self._reset_process_state()
        self._create_schema()

    # -- connections -----------------------------------------------------------------

    def _reset_process_state(self) -> None:
        # Connections inherited through fork are kept referenced and never used or closed:
        # closing SQLite handles that another process opened is what SQLite warns against.
        inherited = getattr(self, "_local", None)
        self._inherited = [*getattr(self, "_inherited", []), inherited] if inherited else []
        self._pid = os.getpid()
        self._local = threading.local()
        self._written = threading.Condition()

    def _connection(self) -> sqlite3.Connection:
        if self._pid != os.getpid():  # forked: nothing of the parent's may be used
            self._reset_process_state()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            self._set_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    @staticmethod
    def _set_wal(conn: sqlite3.Connection) -> None:
        deadline = time.monotonic() + _BUSY_TIMEOUT_S
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _create_schema(self) -> None:
        with self._write() as cur:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    cur.execute(statement)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Cursor]:
        """A write transaction holding SQLite's write lock from its first statement."""
        conn = self._connection()
        cur = conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")
        with self._written:
            self._written.notify_all()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Cursor]:
        """A read transaction: one consistent snapshot for several statements."""
        cur = self._connection().cursor()
        cur.execute("BEGIN")
        try:
            yield cur
        finally:
            cur.execute("COMMIT")

    def _wait_for_writes(self, deadline: float) -> bool:
        """Sleep until a local write or the next poll tick; False once past ``deadline``."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        with self._written:
            self._written.wait(min(self.poll_interval, remaining))
        return True

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._pid == os.getpid():
            conn.close()
        self._local.conn = None

    # -- databases -------------------------------------------------------------------

    @staticmethod
    def _next_db_seq(cur: sqlite3.Cursor) -> int:
        cur.execute("UPDATE meta SET value = value + 1 WHERE key = 'db_seq' RETURNING value")
        return int(cur.fetchone()[0])

    @staticmethod
    def _db_row(cur: sqlite3.Cursor, db: str) -> tuple[int, int]:
        """(id, update_seq) of a live database, or DatabaseNotFound."""
        row = cur.execute(
            "SELECT id, update_seq FROM dbs WHERE name = ? AND deleted = 0", (check_db_name(db),)
        ).fetchone()
        if row is None:
            raise DatabaseNotFound(f"database {db!r} does not exist")
        return int(row[0]), int(row[1])

    def ensure_db(self, db: str) -> bool:
        check_db_name(db)
        with self._write() as cur:
            if cur.execute("SELECT 1 FROM dbs WHERE name = ? AND deleted = 0", (db,)).fetchone():
                return False
            cur.execute(
                "INSERT INTO dbs (name, db_seq, event) VALUES (?, ?, 'created')",
                (db, self._next_db_seq(cur)),
            )
            return True

    def delete_db(self, db: str) -> None:
        with self._write() as cur:
            db_id, _ = self._db_row(cur, db)
            cur.execute("DELETE FROM docs WHERE db = ?", (db_id,))
            cur.execute("DELETE FROM attachments WHERE db = ?", (db_id,))
            cur.execute(
                "UPDATE dbs SET deleted = 1, event = 'deleted', db_seq = ? WHERE id = ?",
                (self._next_db_seq(cur), db_id),
            )

    def db_exists(self, db: str) -> bool:
        check_db_name(db)
        row = (
            self._connection()
            .execute("SELECT 1 FROM dbs WHERE name = ? AND deleted = 0", (db,))
            .fetchone()
        )
        return row is not None

    def list_dbs(self) -> list[str]:
        rows = self._connection().execute("SELECT name FROM dbs WHERE deleted = 0 ORDER BY name")
        return [name for (name,) in rows]

    # -- documents -------------------------------------------------------------------

    @staticmethod
    def _as_document(doc_id: str, rev: str, body: str) -> Document:
        doc: Document = {"_id": doc_id, "_rev": rev}
        doc.update(json.loads(body))
        return doc

    def get(self, db: str, doc_id: str) -> Document:
        with self._read() as cur:
            db_id, _ = self._db_row(cur, db)
            row = cur.execute(
                "SELECT rev, body FROM docs WHERE db = ? AND id = ? AND deleted = 0",
                (db_id, doc_id),
            ).fetchone()
        if row is None:
            raise NotFound(f"document {doc_id!r} not found in {db!r}")
        return self._as_document(doc_id, row[0], row[1])

    @staticmethod
    def _current(cur: sqlite3.Cursor, db_id: int, doc_id: str) -> tuple[str, bool] | None:
        row = cur.execute(
            "SELECT rev, deleted FROM docs WHERE db = ? AND id = ?", (db_id, doc_id)
        ).fetchone()
        return (row[0], bool(row[1])) if row else None

    @staticmethod
    def _check_rev(current: tuple[str, bool] | None, rev: str | None, doc_id: str) -> str | None:
        """The revision the new one extends; Conflict when ``rev`` is not the current one."""
        if current is None:
            if rev is not None:
                raise Conflict(f"document {doc_id!r} does not exist at revision {rev}")
            return None
        current_rev, deleted = current
        if deleted and rev is None:
            return current_rev  # recreating over a tombstone
        if rev != current_rev:
            raise Conflict(f"document {doc_id!r} is at another revision than {rev}")
        return current_rev

    def _write_revision(
        self,
        cur: sqlite3.Cursor,
        db_id: int,
        doc_id: str,
        previous: str | None,
        body: Mapping[str, Any],
        deleted: bool,
    ) -> str:
        rev = _revision(previous, deleted, body)
        cur.execute(
            "UPDATE dbs SET update_seq = update_seq + 1, db_seq = ?, event = 'updated' "
            "WHERE id = ? RETURNING update_seq",
            (self._next_db_seq(cur), db_id),
        )
        seq = int(cur.fetchone()[0])
        cur.execute(
            "INSERT INTO docs (db, id, rev, deleted, seq, body) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (db, id) DO UPDATE SET rev = excluded.rev, "
            "deleted = excluded.deleted, seq = excluded.seq, body = excluded.body",
            (db_id, doc_id, rev, int(deleted), seq, json.dumps(body, separators=(",", ":"))),
        )
        return rev

    def _merge_attachments(
        self,
        cur: sqlite3.Cursor,
        db_id: int,
        doc_id: str,
        requested: Mapping[str, Mapping[str, Any]],
        revpos: int,
    ) -> dict[str, Any]:
        """Apply ``_attachments`` of a saved document: keep stubs, store inline data, drop
        the rest. Returns the stubs the new revision shows."""
        stored = {
            name: (content_type, data)
            for name, content_type, data in cur.execute(
                "SELECT name, content_type, data FROM attachments WHERE db = ? AND doc = ?",
                (db_id, doc_id),
            )
        }
        current = self._current_stubs(cur, db_id, doc_id)
        stubs: dict[str, Any] = {}
        for name, spec in requested.items():
            if spec.get("stub"):
                if name not in stored:
                    raise InvalidRequest(f"attachment stub {name!r} names no stored attachment")
                stubs[name] = current[name]
            elif "data" in spec:
                data = _decode_inline(name, spec["data"])
                content_type = str(spec.get("content_type") or "application/octet-stream")
                self._store_attachment(cur, db_id, doc_id, name, data, content_type)
                stubs[name] = attachment_stub(data, content_type, revpos)
            else:
                raise InvalidRequest(f"attachment {name!r} needs inline data or stub: true")
        for name in stored.keys() - stubs.keys():
            cur.execute(
                "DELETE FROM attachments WHERE db = ? AND doc = ? AND name = ?",
                (db_id, doc_id, name),
            )
        return stubs

    @staticmethod
    def _current_stubs(cur: sqlite3.Cursor, db_id: int, doc_id: str) -> dict[str, Any]:
        row = cur.execute(
            "SELECT body FROM docs WHERE db = ? AND id = ? AND deleted = 0", (db_id, doc_id)
        ).fetchone()
        return dict(json.loads(row[0]).get("_attachments", {})) if row else {}

    @staticmethod
    def _store_attachment(
        cur: sqlite3.Cursor, db_id: int, doc_id: str, name: str, data: bytes, content_type: str
    ) -> None:
        cur.execute(
            "INSERT INTO attachments (db, doc, name, content_type, data) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (db, doc, name) DO UPDATE SET content_type = excluded.content_type, "
            "data = excluded.data",
            (db_id, doc_id, name, content_type, data),
        )

    def save(self, db: str, doc: Mapping[str, Any]) -> Document:
        copy = checked_document(doc)
        with self._write() as cur:
            db_id, _ = self._db_row(cur, db)
            return self._save_in(cur, db, db_id, copy)

    def save_many(self, db: str, docs: Sequence[Mapping[str, Any]]) -> list[Document | Conflict]:
        """One write transaction for the lot (one commit instead of one per document)."""
        copies = [checked_document(doc) for doc in docs]
        with self._write() as cur:
            db_id, _ = self._db_row(cur, db)
            # a refused document is refused before anything of it is written
            return save_each(copies, lambda copy: self._save_in(cur, db, db_id, copy))

    def _save_in(self, cur: sqlite3.Cursor, db: str, db_id: int, copy: Document) -> Document:
        """Write the checked document ``copy`` within the write transaction ``cur``."""
        doc_id = copy["_id"]
        body = {k: v for k, v in copy.items() if k not in ("_id", "_rev", "_deleted")}
        deleted = bool(copy.get("_deleted", False))
        current = self._current(cur, db_id, doc_id)
        previous = self._check_rev(current, copy.get("_rev"), doc_id)
        if deleted and (current is None or current[1]):
            raise NotFound(f"document {doc_id!r} not found in {db!r}")
        revpos = _generation(previous) + 1 if previous else 1
        stubs = self._merge_attachments(
            cur, db_id, doc_id, {} if deleted else body.pop("_attachments", {}), revpos
        )
        body.pop("_attachments", None)
        if stubs:
            body["_attachments"] = stubs
        copy["_rev"] = self._write_revision(cur, db_id, doc_id, previous, body, deleted)
        return copy

    def delete(self, db: str, doc_id: str, rev: str) -> str:
        missing = NotFound(f"document {doc_id!r} not found in {db!r}")
        with self._write() as cur:
            db_id, _ = self._db_row(cur, db)
            previous, body = self._editing(cur, db_id, doc_id, rev, missing)
            tombstone = {"pvt_type": body["pvt_type"]} if "pvt_type" in body else {}
            cur.execute("DELETE FROM attachments WHERE db = ? AND doc = ?", (db_id, doc_id))
            return self._write_revision(cur, db_id, doc_id, previous, tombstone, True)

    def all_docs(
        self,
        db: str,
        *,
        start_key: str | None = None,
        end_key: str | None = None,
        limit: int | None = None,
    ) -> list[Document]:
        check_limit(limit)
        query = "SELECT id, rev, body FROM docs WHERE db = ? AND deleted = 0"
        query += " AND substr(id, 1, 8) != '_design/'"
        params: list[Any] = []
        if start_key is not None:
            query += " AND id >= ?"
            params.append(start_key)
        if end_key is not None:
            query += " AND id <= ?"
            params.append(end_key)
        query += " ORDER BY id LIMIT ?"
        params.append(-1 if limit is None else limit)
        with self._read() as cur:
            db_id, _ = self._db_row(cur, db)
            rows = cur.execute(query, [db_id, *params]).fetchall()
        return [self._as_document(*row) for row in rows]

    def find(
        self,
        db: str,
        selector: Mapping[str, Any],
        *,
        limit: int | None = None,
        skip: int = 0,
        sort: Sequence[str] | None = None,
    ) -> list[Document]:
        matches = checked_query(selector, limit, skip)
        with self._read() as cur:
            db_id, _ = self._db_row(cur, db)
            rows = cur.execute(
                "SELECT id, rev, body FROM docs WHERE db = ? AND deleted = 0 ORDER BY id",
                (db_id,),
            ).fetchall()
        docs = [
            doc
            for doc in (self._as_document(*row) for row in rows if not is_design_doc(row[0]))
            if matches(doc)
        ]
        if sort:
            docs = sort_documents(docs, sort)
        end = None if limit is None else skip + limit
        return docs[skip:end]

    # -- attachments -------------------------------------------------------------------

    def put_attachment(
        self, db: str, doc_id: str, name: str, data: bytes, content_type: str, rev: str
    ) -> str:
        data = checked_attachment(name, data)
        missing = Conflict(f"document {doc_id!r} does not exist at revision {rev}")
        with self._write() as cur:
            db_id, _ = self._db_row(cur, db)
            previous, doc = self._editing(cur, db_id, check_doc_id(doc_id), rev, missing)
            self._store_attachment(cur, db_id, doc_id, name, data, content_type)
            stubs = dict(doc.get("_attachments", {}))
            stubs[name] = attachment_stub(data, content_type, _generation(rev) + 1)
            doc["_attachments"] = stubs
            return self._write_revision(cur, db_id, doc_id, previous, doc, False)

    def _editing(
        self, cur: sqlite3.Cursor, db_id: int, doc_id: str, rev: str, missing: DocumentStoreError
    ) -> tuple[str | None, dict[str, Any]]:
        """(revision extended, body) of a live document edited at ``rev``; raises
        ``missing`` when the document does not exist or is deleted."""
        current = self._current(cur, db_id, doc_id)
        if current is None or current[1]:
            raise missing
        previous = self._check_rev(current, rev, doc_id)
        row = cur.execute(
            "SELECT body FROM docs WHERE db = ? AND id = ?", (db_id, doc_id)
        ).fetchone()
        return previous, dict(json.loads(row[0]))

    def get_attachment(self, db: str, doc_id: str, name: str) -> Attachment:
        with self._read() as cur:
            db_id, _ = self._db_row(cur, db)
            row = cur.execute(
                "SELECT a.content_type, a.data FROM attachments a JOIN docs d "
                "ON d.db = a.db AND d.id = a.doc AND d.deleted = 0 "
                "WHERE a.db = ? AND a.doc = ? AND a.name = ?",
                (db_id, doc_id, name),
            ).fetchone()
        if row is None:
            raise NotFound(f"attachment {name!r} of {doc_id!r} not found in {db!r}")
        return Attachment(data=bytes(row[1]), content_type=row[0])

    def delete_attachment(self, db: str, doc_id: str, name: str, rev: str) -> str:
        missing = NotFound(f"document {doc_id!r} not found in {db!r}")
        with self._write() as cur:
            db_id, _ = self._db_row(cur, db)
            previous, doc = self._editing(cur, db_id, doc_id, rev, missing)
            stubs = dict(doc.get("_attachments", {}))
            if name not in stubs:
                raise NotFound(f"attachment {name!r} of {doc_id!r} not found in {db!r}")
            del stubs[name]
            cur.execute(
                "DELETE FROM attachments WHERE db = ? AND doc = ? AND name = ?",
                (db_id, doc_id, name),
            )
            if stubs:
                doc["_attachments"] = stubs
            else:
                doc.pop("_attachments", None)
            return self._write_revision(cur, db_id, doc_id, previous, doc, False)

    # -- change feeds ------------------------------------------------------------------

    def changes(
        self,
        db: str,
        since: str = "0",
        *,
        timeout: float = 0.0,
        limit: int | None = None,
        include_docs: bool = False,
    ) -> ChangesPage:
        check_limit(limit)
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._read() as cur:
            _, update_seq = self._db_row(cur, db)
        after = _parse_seq(since, update_seq)
        while True:
            page = self._read_changes(db, after, limit, include_docs)
            if page.results or not self._wait_for_writes(deadline):
                return page

    def _read_changes(
        self, db: str, after: int, limit: int | None, include_docs: bool
    ) -> ChangesPage:
        with self._read() as cur:
            db_id, _ = self._db_row(cur, db)
            rows = cur.execute(
                "SELECT id, rev, deleted, seq, body FROM docs WHERE db = ? AND seq > ? "
                "ORDER BY seq LIMIT ?",
                (db_id, after, -1 if limit is None else limit),
            ).fetchall()
        results = []
        for doc_id, rev, deleted, seq, body in rows:
            doc = None
            if include_docs:
                doc = self._as_document(doc_id, rev, body)
                if deleted:
                    doc["_deleted"] = True
            results.append(Change(doc_id, str(seq), rev, bool(deleted), doc))
        return ChangesPage(results=results, last_seq=str(rows[-1][3] if rows else after))

    def db_updates(self, since: str = "0", *, timeout: float = 0.0) -> DbUpdatesPage:
        deadline = time.monotonic() + max(timeout, 0.0)
        current = int(
            self._connection().execute("SELECT value FROM meta WHERE key = 'db_seq'").fetchone()[0]
        )
        after = _parse_seq(since, current)
        while True:
            rows = (
                self._connection()
                .execute(
                    "SELECT name, event, db_seq FROM dbs WHERE db_seq > ? ORDER BY db_seq",
                    (after,),
                )
                .fetchall()
            )
            if rows or not self._wait_for_writes(deadline):
                break
        results = [DbUpdate(name, event, str(seq)) for name, event, seq in rows]
        return DbUpdatesPage(results=results, last_seq=str(rows[-1][2] if rows else after))


def _decode_inline(name: str, data: Any) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (TypeError, ValueError) as exc:
        raise InvalidRequest(f"attachment {name!r}: data is not base64") from exc
