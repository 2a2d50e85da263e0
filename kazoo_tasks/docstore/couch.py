"""The CouchDB back end, through IBM's maintained Cloudant SDK (``ibmcloudant``).

The URL carries the credentials (``http://user:password@host:5984``); they are sent with
basic auth, or through a CouchDB session cookie with ``?auth=session`` appended (the
SDK's session login posts ``username``, which pouchdb-server refuses), and never travel
in request URLs. Database names with ``/`` (Kazoo's account databases)
are URL-encoded by the SDK (``account%2Fxx%2Fyy%2F...``).

``url`` may name several nodes of a cluster, comma-separated: requests go to one and move
to the next when it cannot be reached (:mod:`kazoo_tasks.docstore.couch_nodes`).

Before a request leaves, input is checked the way the embedded store checks it (same
:class:`InvalidRequest` for the same mistake). Long polls honour our ``timeout`` on the
client side too, because some servers (pouchdb-server) ignore it.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from ibm_cloud_sdk_core import ApiException
from ibmcloudant.cloudant_v1 import CloudantV1, IndexDefinition, IndexField

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
    Unavailable,
)
from kazoo_tasks.docstore.couch_nodes import CouchNodes
from kazoo_tasks.docstore.documents import (
    check_doc_id,
    check_limit,
    checked_attachment,
    checked_document,
    checked_query,
    is_design_doc,
)
from kazoo_tasks.docstore.mango import push_negations, spelled_out_negations
from kazoo_tasks.docstore.naming import account_id_from_db, check_db_name
from kazoo_tasks.docstore.polled_updates import PolledDbUpdates

log = logging.getLogger(__name__)

_CONNECT_TIMEOUT_S = 5.0
_REQUEST_TIMEOUT_S = 60.0
_PAGE = 500
_NO_LIMIT = 2**31 - 1
ACCOUNT_DB_SHARDS = 1
"""``q`` of every account database this store creates (docs/documents.md says why); other
databases get the server's default (``[cluster] q``)."""
_READS = frozenset(
    {
        "get_all_dbs",
        "head_database",
        "get_database_information",
        "post_all_docs",
        "post_find",
        "post_index",
        "get_attachment",
    }
)
"""SDK operations that change nothing (or nothing twice): safe to send again elsewhere."""
_FLATTENED_ACCOUNT_DB = re.compile(r"^account([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{28})$")


class CouchDocumentStore(DocumentStore):
    """Documents in CouchDB 3 (or any server speaking its HTTP API)."""

    def __init__(self, url: str, *, request_timeout: float = _REQUEST_TIMEOUT_S) -> None:
        """``url``: one node, or the nodes of a cluster comma-separated (in the order to
        try them; see :mod:`kazoo_tasks.docstore.couch_nodes`)."""
        self._nodes = CouchNodes(url)
        self._timeout = (_CONNECT_TIMEOUT_S, request_timeout)
        self._indexes: set[tuple[str, tuple[str, ...]]] = set()
        self._indexes_lock = threading.Lock()
        self._polled_updates: PolledDbUpdates | None = None

    @property
    def url(self) -> str:
        """The URL (no credentials) of the node requests go to now."""
        return self._nodes.current.url

    def __repr__(self) -> str:
        return f"CouchDocumentStore({', '.join(node.url for node in self._nodes.nodes)!r})"

    # -- plumbing --------------------------------------------------------------------

    def _call(self, operation: str, *args: Any, **kwargs: Any) -> Any:
        """Run one SDK operation (on another node if this one is unreachable); map HTTP
        errors to the interface's exceptions."""
        kwargs.setdefault("timeout", self._timeout)

        def send(service: CloudantV1) -> Any:
            for stream in (*args, *kwargs.values()):
                if isinstance(stream, io.IOBase):
                    stream.seek(0)  # a body read by a failed attempt
            return getattr(service, operation)(*args, **kwargs).get_result()

        return self._nodes.run(send, idempotent=operation in _READS, mapped=_mapped)

    def _raw(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """A request the SDK has no method for, or would refuse (design-document ids)."""
        headers = {"Accept": "application/json", "Accept-Encoding": "identity"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)

        def send(service: CloudantV1) -> Any:
            request = service.prepare_request(
                method, path, headers=headers, params=dict(params or {}), data=data
            )
            return service.send(request, timeout=self._timeout).get_result()

        return self._nodes.run(send, idempotent=method in ("GET", "HEAD"), mapped=_mapped)

    def _long_poll(self, path: str, params: Mapping[str, Any], timeout: float) -> Any:
        """A ``feed=longpoll`` read that returns None once ``timeout`` has passed.

        The deadline is kept here, on our clock: the request asks for heartbeats (newlines
        the server sends while it waits) so that a read never blocks long, and the
        response is dropped at the deadline whether or not the server honours ``timeout``.
        A feed that breaks (its node went away) is read again from another node.
        """
        deadline = time.monotonic() + timeout
        heartbeat_ms = max(50, min(1000, int(timeout * 250)))
        read_timeout = heartbeat_ms / 1000 + _CONNECT_TIMEOUT_S

        def send(service: CloudantV1) -> Any:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            query = {**params, "feed": "longpoll", "timeout": int(left * 1000)}
            query["heartbeat"] = heartbeat_ms
            request = service.prepare_request(
                "GET",
                path,
                headers={"Accept": "application/json", "Accept-Encoding": "identity"},
                params=query,
            )
            response = service.send(
                request, stream=True, timeout=(_CONNECT_TIMEOUT_S, read_timeout)
            ).get_result()
            body = bytearray()
            try:
                for chunk in response.iter_content(chunk_size=None):
                    body += chunk
                    if time.monotonic() >= deadline and not body.strip().endswith(b"}"):
                        return None
            finally:
                response.close()
            return json.loads(body)

        return self._nodes.run(send, idempotent=True, mapped=_mapped)

    def _doc_path(self, db: str, doc_id: str) -> str:
        if is_design_doc(doc_id):
            return f"/{quote(db, safe='')}/_design/{quote(doc_id[8:], safe='')}"
        return f"/{quote(db, safe='')}/{quote(doc_id, safe='')}"

    def _missing(self, db: str, what: str) -> NotFound:
        """NotFound for ``what``, or DatabaseNotFound when the database itself is gone."""
        if not self.db_exists(db):
            return DatabaseNotFound(f"database {db!r} does not exist")
        return NotFound(f"{what} not found in {db!r}")

    # -- databases -------------------------------------------------------------------

    def ensure_db(self, db: str) -> bool:
        check_db_name(db)
        shards = ACCOUNT_DB_SHARDS if account_id_from_db(db) else None
        try:
            self._call("put_database", db, q=shards)
        except _PreconditionFailed:
            return False
        return True

    def delete_db(self, db: str) -> None:
        if not self.db_exists(db):  # pouchdb-server answers 200 for a missing database
            raise DatabaseNotFound(f"database {db!r} does not exist")
        try:
            self._call("delete_database", db)
        except NotFound as exc:
            raise DatabaseNotFound(f"database {db!r} does not exist") from exc

    def db_exists(self, db: str) -> bool:
        check_db_name(db)
        try:
            self._call("head_database", db)
        except NotFound:
            return False
        return True

    def list_dbs(self) -> list[str]:
        names = self._call("get_all_dbs")
        return sorted(_unflattened(name) for name in names if not name.startswith("_"))

    # -- documents -------------------------------------------------------------------

    def get(self, db: str, doc_id: str) -> Document:
        check_db_name(db)
        try:
            return dict(self._raw("GET", self._doc_path(db, check_doc_id(doc_id))))
        except NotFound:
            raise self._missing(db, f"document {doc_id!r}") from None

    def save(self, db: str, doc: Mapping[str, Any]) -> Document:
        check_db_name(db)
        copy = checked_document(doc)
        try:
            if is_design_doc(copy["_id"]):
                result = self._raw("PUT", self._doc_path(db, copy["_id"]), body=copy)
            else:
                body = io.BytesIO(json.dumps(copy).encode())
                result = self._call(
                    "put_document", db, copy["_id"], body, content_type="application/json"
                )
        except NotFound:
            raise self._missing(db, f"document {copy['_id']!r}") from None
        except _PreconditionFailed as exc:
            raise InvalidRequest(f"attachment stub names no stored attachment: {exc}") from exc
        copy["_rev"] = result["rev"]
        return copy

    def save_many(self, db: str, docs: Sequence[Mapping[str, Any]]) -> list[Document | Conflict]:
        """One ``_bulk_docs`` request (one round trip instead of one per document)."""
        check_db_name(db)
        copies = [checked_document(doc) for doc in docs]
        if not copies:
            return []
        try:
            rows = self._raw("POST", f"/{quote(db, safe='')}/_bulk_docs", body={"docs": copies})
        except NotFound:
            raise self._missing(db, "_bulk_docs") from None
        saved: list[Document | Conflict] = []
        refused = []
        for copy, row in zip(copies, rows, strict=True):
            if "rev" in row and not row.get("error"):
                copy["_rev"] = row["rev"]
                saved.append(copy)
            elif row.get("error") == "conflict":
                saved.append(Conflict(f"document {copy['_id']!r} in {db!r}: {row.get('reason')}"))
            else:
                refused.append(f"{copy['_id']!r}: {row.get('error')} ({row.get('reason')})")
        if refused:
            raise InvalidRequest(f"CouchDB refused documents of {db!r}: {'; '.join(refused)}")
        return saved

    def delete(self, db: str, doc_id: str, rev: str) -> str:
        check_db_name(db)
        path = self._doc_path(db, check_doc_id(doc_id))
        tombstone: dict[str, Any] = {"_id": doc_id, "_rev": rev, "_deleted": True}
        try:
            deleting = self._raw("GET", path, params={"rev": rev})
        except NotFound:
            deleting = None  # no such revision: the DELETE below says why (404 or 409)
        try:
            if deleting is None or deleting.get("_deleted"):
                return str(self._raw("DELETE", path, params={"rev": rev})["rev"])
            if "pvt_type" in deleting:
                tombstone["pvt_type"] = deleting["pvt_type"]
            return str(self._raw("PUT", path, body=tombstone)["rev"])
        except NotFound:
            raise self._missing(db, f"document {doc_id!r}") from None

    def _all_docs_rows(
        self, db: str, start_key: str | None, end_key: str | None, limit: int
    ) -> list[dict[str, Any]]:
        args: dict[str, Any] = {"include_docs": True, "limit": limit}
        if start_key is not None:
            args["start_key"] = start_key
        if end_key is not None:
            args["end_key"] = end_key
        try:
            return list(self._call("post_all_docs", db, **args)["rows"])
        except NotFound:
            raise DatabaseNotFound(f"database {db!r} does not exist") from None

    def all_docs(
        self,
        db: str,
        *,
        start_key: str | None = None,
        end_key: str | None = None,
        limit: int | None = None,
    ) -> list[Document]:
        check_db_name(db)
        check_limit(limit)
        wanted = _NO_LIMIT if limit is None else limit
        docs: list[Document] = []
        key = start_key
        skip_first = False
        while len(docs) < wanted:
            page = min(_PAGE, wanted - len(docs) + 1) if limit is not None else _PAGE
            rows = self._all_docs_rows(db, key, end_key, page + int(skip_first))
            fetched = len(rows)
            if skip_first and rows and rows[0]["id"] == key:
                rows = rows[1:]
            docs += [row["doc"] for row in rows if not is_design_doc(row["id"])]
            if fetched < page + int(skip_first) or not rows:
                break
            key, skip_first = rows[-1]["id"], True
        return docs[:wanted]

    def _ensure_index(self, db: str, fields: tuple[str, ...]) -> None:
        """Mango needs an index to sort; create one per field list (idempotent)."""
        with self._indexes_lock:
            if (db, fields) in self._indexes:
                return
        index = IndexDefinition(fields=[IndexField(**{field: "asc"}) for field in fields])
        self._call("post_index", db, index, name="kazoo-sort-" + "-".join(fields), type="json")
        with self._indexes_lock:
            self._indexes.add((db, fields))

    def find(
        self,
        db: str,
        selector: Mapping[str, Any],
        *,
        limit: int | None = None,
        skip: int = 0,
        sort: Sequence[str] | None = None,
    ) -> list[Document]:
        check_db_name(db)
        checked_query(selector, limit, skip)
        args: dict[str, Any] = {"limit": _NO_LIMIT if limit is None else limit, "skip": skip}
        # negations pushed down as CouchDB does itself, then spelled out, so that servers
        # that do neither (pouchdb-server) give CouchDB's answer too
        query = spelled_out_negations(push_negations(selector))
        if sort:
            fields = tuple(sort)
            try:
                self._ensure_index(db, fields)
            except NotFound:
                raise DatabaseNotFound(f"database {db!r} does not exist") from None
            query = _requiring_fields(query, fields)
            args["sort"] = [{field: "asc"} for field in fields]
        try:
            result = self._call("post_find", db, dict(query), **args)
        except NotFound:
            raise DatabaseNotFound(f"database {db!r} does not exist") from None
        return [doc for doc in result["docs"] if not is_design_doc(doc["_id"])]

    # -- attachments -------------------------------------------------------------------

    def put_attachment(
        self, db: str, doc_id: str, name: str, data: bytes, content_type: str, rev: str
    ) -> str:
        check_db_name(db)
        data = checked_attachment(name, data)
        try:
            result = self._call(
                "put_attachment",
                db,
                check_doc_id(doc_id),
                name,
                io.BytesIO(data),
                content_type,
                rev=rev,
            )
        except NotFound:
            raise self._missing(db, f"document {doc_id!r}") from None
        return str(result["rev"])

    def get_attachment(self, db: str, doc_id: str, name: str) -> Attachment:
        check_db_name(db)
        try:
            response = self._call("get_attachment", db, check_doc_id(doc_id), name)
        except NotFound:
            raise self._missing(db, f"attachment {name!r} of {doc_id!r}") from None
        content_type = response.headers.get("Content-Type", "application/octet-stream")
        return Attachment(data=response.content, content_type=content_type)

    def delete_attachment(self, db: str, doc_id: str, name: str, rev: str) -> str:
        check_db_name(db)
        try:
            result = self._call("delete_attachment", db, check_doc_id(doc_id), name, rev=rev)
        except NotFound:
            raise self._missing(db, f"attachment {name!r} of {doc_id!r}") from None
        return str(result["rev"])

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
        check_db_name(db)
        check_limit(limit)
        params: dict[str, Any] = {"since": since, "include_docs": str(include_docs).lower()}
        if limit is not None:
            params["limit"] = limit
        path = f"/{quote(db, safe='')}/_changes"
        try:
            if timeout > 0:
                result = self._long_poll(path, params, timeout)
                if result is None:
                    return ChangesPage(results=[], last_seq=since)
            else:
                result = self._raw("GET", path, params=params)
        except NotFound:
            raise DatabaseNotFound(f"database {db!r} does not exist") from None
        return _changes_page(result, since, limit)

    def db_updates(self, since: str = "0", *, timeout: float = 0.0) -> DbUpdatesPage:
        if self._polled_updates is None:
            try:
                return self._server_db_updates(since, timeout)
            except (InvalidRequest, NotFound, _NotImplemented):
                log.info("%s has no usable _db_updates feed: polling databases instead", self.url)
                self._polled_updates = PolledDbUpdates(self)
        return self._polled_updates.read(since, timeout)

    def _server_db_updates(self, since: str, timeout: float) -> DbUpdatesPage:
        params = {"since": since}
        if timeout > 0:
            result = self._long_poll("/_db_updates", params, timeout)
            if result is None:
                return DbUpdatesPage(results=[], last_seq=since)
        else:
            result = self._raw("GET", "/_db_updates", params=params)
        results = [
            DbUpdate(_unflattened(row["db_name"]), row["type"], str(row["seq"]))
            for row in result.get("results", [])
            if not row["db_name"].startswith("_")
        ]
        return DbUpdatesPage(results=results, last_seq=str(result.get("last_seq", since)))

    def update_seqs(self) -> dict[str, str]:
        """Every database's current ``update_seq`` (what the polled db-updates feed diffs)."""
        seqs = {}
        for db in self.list_dbs():
            try:
                info = self._call("get_database_information", db)
            except NotFound:
                continue
            seqs[db] = str(info["update_seq"])
        return seqs


class _PreconditionFailed(DocumentStoreError):
    """HTTP 412 (database exists, missing attachment stub)."""


class _NotImplemented(DocumentStoreError):
    """HTTP 405/501: the server lacks this endpoint."""


def _mapped(exc: ApiException) -> DocumentStoreError:
    message = f"CouchDB {exc.status_code}: {exc.message}"
    if exc.status_code == 404:
        return NotFound(message)
    if exc.status_code == 409:
        return Conflict(message)
    if exc.status_code == 412:
        return _PreconditionFailed(message)
    if exc.status_code in (405, 501):
        return _NotImplemented(message)
    if exc.status_code in (400, 415):
        return InvalidRequest(message)
    if exc.status_code in (502, 503, 504):
        return Unavailable(message)
    return DocumentStoreError(message)


def _changes_page(result: Mapping[str, Any], since: str, limit: int | None) -> ChangesPage:
    """The feed's rows as Changes; ``limit`` enforced here too (some servers ignore it)."""
    rows = list(result.get("results", []))
    truncated = limit is not None and len(rows) > limit
    if truncated:
        rows = rows[:limit]
    changes = [
        Change(
            id=row["id"],
            seq=str(row["seq"]),
            rev=row["changes"][0]["rev"],
            deleted=bool(row.get("deleted", False)),
            doc=row.get("doc"),
        )
        for row in rows
    ]
    if truncated or (limit == 0):
        last_seq = changes[-1].seq if changes else since
    else:
        last_seq = str(result.get("last_seq", changes[-1].seq if changes else since))
    return ChangesPage(results=changes, last_seq=last_seq)


def _requiring_fields(selector: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """``selector`` plus ``$exists`` on each sort field, merged into the top level.

    CouchDB sorts through an index, which holds only the documents having every field,
    and uses the index only when the selector names its fields. (pouchdb-server fails
    on an ``$and`` naming one field twice, hence the merge.)
    """
    query = dict(selector)
    for field in fields:
        condition = query.get(field)
        if field not in query:
            query[field] = {"$exists": True}
        elif isinstance(condition, Mapping) and all(k.startswith("$") for k in condition):
            query[field] = {"$exists": True, **condition}
    return query


def _unflattened(name: str) -> str:
    """pouchdb-server drops ``/`` from database names; give account databases theirs back."""
    found = _FLATTENED_ACCOUNT_DB.match(name)
    return "account/{}/{}/{}".format(*found.groups()) if found else name
