"""Recordings FreeSWITCH uploads, kept on disk until they are attachments of their document.

FreeSWITCH records to ``http_cache://<signed PUT URL>``: ``mod_http_cache`` records into
its local cache file and, when the recording ends, PUTs it (200/201/202/204 count as
stored; anything else loses the upload on its side). So the API answers only once the
file is safely on its own disk (written, fsynced, renamed), and stores it in the document
store afterwards, retrying while the store is down: a recording the switch was told is
stored is never lost.

An entry is ``<id>.data`` (the audio) and ``<id>.json`` (where it goes); the ``.json``
appears last (atomic rename), so a crash leaves either a complete entry or leftovers
that are never read (``*.part``). One writer thread per spool runs while entries wait
and exits when none is left; an API process that starts finds and stores what a previous
one left. An entry whose document still does not exist after ``orphan_after`` seconds
goes to ``failed/`` (kept for an operator, logged), never deleted.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from kazoo_tasks.docstore import Conflict, DocumentStore, NotFound, account_db

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
MAX_RECORDING_BYTES = 512 * 1024 * 1024
"""Largest upload accepted (an 8 kHz 16-bit WAV of about nine hours)."""


@dataclass(frozen=True)
class Target:
    """Where a spooled recording goes."""

    account_id: str
    doc_id: str
    attachment: str
    content_type: str


class TooLarge(Exception):
    """The upload exceeded :data:`MAX_RECORDING_BYTES`."""


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: Path, chunks: Iterable[bytes], limit: int) -> int:
    """Write ``chunks`` to ``path`` through a ``.part`` file, fsynced then renamed."""
    part = path.with_name(path.name + ".part")
    size = 0
    try:
        with open(part, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise TooLarge(f"upload over {limit} bytes")
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return size


class RecordingSpool:
    """Durable hand-off of uploaded recordings to the document store (see module doc)."""

    def __init__(
        self,
        directory: Path,
        store: DocumentStore,
        *,
        orphan_after: float = 3600.0,
        max_delay: float = 30.0,
    ) -> None:
        self.directory = Path(directory)
        self.failed = self.directory / "failed"
        self.store = store
        self.orphan_after = orphan_after
        self.max_delay = max_delay
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopping = False

    # -- accepting uploads ------------------------------------------------------------

    def accept(self, target: Target, chunks: Iterable[bytes]) -> str:
        """Keep one upload durably; returns its entry id. The writer is woken up."""
        self.directory.mkdir(parents=True, exist_ok=True)
        entry = uuid.uuid4().hex
        data = self.directory / f"{entry}.data"
        _write_durably(data, chunks, MAX_RECORDING_BYTES)
        meta = {**asdict(target), "spooled_at": time.time()}
        try:
            _write_durably(self.directory / f"{entry}.json", [json.dumps(meta).encode()], CHUNK)
        except BaseException:
            data.unlink(missing_ok=True)
            raise
        _fsync_dir(self.directory)
        self.kick()
        return entry

    def pending(self) -> list[str]:
        """Ids of the entries waiting to be stored, oldest first."""
        try:
            metas = [p for p in self.directory.iterdir() if p.suffix == ".json"]
        except FileNotFoundError:
            return []
        return [p.stem for p in sorted(metas, key=lambda p: (p.stat().st_mtime, p.name))]

    # -- storing ------------------------------------------------------------------------

    def store_one(self, entry: str) -> bool:
        """Try to store one entry; True when it is done with (stored, or moved to
        ``failed/``), False when it must be tried again later."""
        meta_path = self.directory / f"{entry}.json"
        data_path = self.directory / f"{entry}.data"
        meta = json.loads(meta_path.read_text())
        target = Target(
            meta["account_id"], meta["doc_id"], meta["attachment"], meta["content_type"]
        )
        db = account_db(target.account_id)
        audio = data_path.read_bytes()
        for _ in range(5):
            try:
                doc = self.store.get(db, target.doc_id)
                self.store.put_attachment(
                    db, target.doc_id, target.attachment, audio, target.content_type, doc["_rev"]
                )
            except Conflict:
                continue  # the document changed meanwhile: read its new revision
            except NotFound:
                if time.time() - float(meta.get("spooled_at", 0)) < self.orphan_after:
                    return False  # its document may not be written yet
                self._give_up(entry, f"document {target.doc_id} of {target.account_id} missing")
                return True
            meta_path.unlink()
            data_path.unlink(missing_ok=True)
            log.info("recording %s stored on %s/%s", entry, target.doc_id, target.attachment)
            return True
        return False

    def _give_up(self, entry: str, why: str) -> None:
        self.failed.mkdir(parents=True, exist_ok=True)
        for suffix in (".data", ".json"):
            source = self.directory / f"{entry}{suffix}"
            if source.exists():
                os.replace(source, self.failed / source.name)
        log.error("recording %s kept in %s: %s", entry, self.failed, why)

    def flush(self) -> int:
        """Try every waiting entry once; returns how many still wait."""
        waiting = 0
        for entry in self.pending():
            try:
                done = self.store_one(entry)
            except FileNotFoundError:
                continue  # another writer (a second API process) took it
            except Exception as error:  # store down, timeouts...: try again later
                log.warning("recording %s not stored yet: %s", entry, error)
                done = False
            waiting += 0 if done else 1
        return waiting

    # -- the writer thread --------------------------------------------------------------

    def kick(self) -> None:
        """Make sure a writer runs (it stops by itself once nothing waits)."""
        self._wake.set()
        with self._lock:
            if self._stopping or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(target=self._run, name="recording-spool", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        delay = 0.25
        while not self._stopping:
            self._wake.clear()
            if self.flush() == 0:
                with self._lock:
                    if not self._wake.is_set():
                        self._thread = None
                        return
                continue
            self._wake.wait(delay)
            delay = min(delay * 2, self.max_delay)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the writer (entries stay on disk for the next start)."""
        with self._lock:
            self._stopping = True
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join(timeout)
