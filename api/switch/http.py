"""The ``/switch`` routes: a Flask blueprint beside the Crossbar API (same app and port,
not in its Swagger document).

* ``POST /switch/directory``: ``mod_xml_curl`` look-ups (:mod:`api.switch.directory`);
  allowed networks + basic auth.
* ``GET /switch/files/<account>/<doc>/<attachment>/<version>.<ext>``: an attachment the
  switch plays (a media document's audio); allowed networks + a signed, unexpired URL.
* ``PUT`` on the same shape: a recording the switch uploads, spooled then stored as that
  attachment (:mod:`api.switch.spool`); allowed networks + a signed, unexpired URL.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, request

from api.switch import access
from api.switch.directory import Directory, answer
from api.switch.spool import RecordingSpool, Target, TooLarge
from kazoo_tasks.cache import named_cache
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore, NotFound, account_db
from kazoo_tasks.switch_files import (
    CONTENT_TYPES,
    PREFIX,
    FileRef,
    check_signature,
    switch_secret,
)

EXTENSION = "kazoo_tasks.switch"


@dataclass
class SwitchContext:
    """What the ``/switch`` routes run on (``app.extensions[EXTENSION]``)."""

    settings: Settings
    store: DocumentStore
    directory: Directory
    spool: RecordingSpool
    secret: str


def spool_dir(settings: Settings) -> Path:
    """Where uploaded recordings wait (``KAZOO_RECORDING_SPOOL_DIR``)."""
    return settings.recording_spool_dir or Path(settings.data_dir) / "recording-spool"


def register(app: Flask, settings: Settings, store: DocumentStore) -> SwitchContext:
    """Mount ``/switch`` on ``app``; starts storing recordings a previous run left."""
    context = SwitchContext(
        settings=settings,
        store=store,
        directory=Directory(store, named_cache(settings)),
        spool=RecordingSpool(spool_dir(settings), store),
        secret=switch_secret(settings),
    )
    app.extensions[EXTENSION] = context
    networks = access.parse_networks(settings.switch_allow)
    local = access.allowed_networks(networks)
    blueprint = Blueprint("switch", __name__, url_prefix=PREFIX)

    @blueprint.route("/directory", methods=["POST"])
    @local
    @access.basic_auth(settings.switch_password)
    def directory() -> Response:
        xml = answer(request.form.to_dict(), context.directory)
        return Response(xml, status=200, mimetype="text/xml")

    @blueprint.route("/files/<account_id>/<doc_id>/<attachment>/<filename>", methods=["GET"])
    @local
    def read_file(account_id: str, doc_id: str, attachment: str, filename: str) -> Any:
        ref = _signed_ref(context, "GET", account_id, doc_id, attachment, filename)
        if isinstance(ref, Response):
            return ref
        try:
            found = store.get_attachment(account_db(account_id), doc_id, attachment)
        except NotFound:
            return access.plain(404, "not found")
        expires = int(request.args["expires"])
        headers = {"Cache-Control": f"max-age={max(0, expires - _now())}"}
        return Response(found.data, mimetype=found.content_type, headers=headers)

    @blueprint.route("/files/<account_id>/<doc_id>/<attachment>/<filename>", methods=["PUT"])
    @local
    def write_file(account_id: str, doc_id: str, attachment: str, filename: str) -> Any:
        ref = _signed_ref(context, "PUT", account_id, doc_id, attachment, filename)
        if isinstance(ref, Response):
            return ref
        content_type = CONTENT_TYPES.get(ref.extension)
        if content_type is None:
            return access.plain(415, f"cannot store .{ref.extension} recordings")
        target = Target(account_id, doc_id, attachment, content_type)
        try:
            context.spool.accept(target, _body_chunks())
        except TooLarge as error:
            return access.plain(413, str(error))
        return Response(status=204)

    app.register_blueprint(blueprint)
    if context.spool.pending():
        context.spool.kick()
    return context


def _now() -> int:
    return int(time.time())


def _signed_ref(
    context: SwitchContext,
    method: str,
    account_id: str,
    doc_id: str,
    attachment: str,
    filename: str,
) -> FileRef | Response:
    """The file a request names, or the answer refusing it (bad name 404, bad or expired
    signature 403)."""
    version, dot, extension = filename.rpartition(".")
    ref = FileRef(account_id, doc_id, attachment, version, extension)
    try:
        path = ref.path()
    except ValueError:
        return access.plain(404, "not found")
    if not dot:
        return access.plain(404, "not found")
    why = check_signature(
        context.secret,
        method,
        path,
        request.args.get("expires", ""),
        request.args.get("sig", ""),
    )
    if why is not None:
        return access.plain(403, why)
    return ref


def _body_chunks() -> Any:
    stream = request.stream
    while True:
        chunk = stream.read(64 * 1024)
        if not chunk:
            return
        yield chunk
