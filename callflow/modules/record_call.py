"""``record_call``: start or stop recording the call (Kazoo's cf_record_call), with the
switch's ``record_session`` / ``stop_record_session``; the recording becomes a
``call_recording`` document of the account with its audio (:mod:`callflow.call_recording`),
which ``/v2/accounts/{id}/recordings`` lists and serves.

``start`` (default) records from now (``record_on_answer``: from the answer) for at most
``time_limit`` seconds, in ``format`` (mp3, the default, or wav); ``stop`` ends the
recordings this call started. A recording shorter than ``record_min_sec`` is dropped.
Children: ``_``, at once (the recording goes on while the flow does).
"""

from __future__ import annotations

from marshmallow import fields, validate

from callflow import call_recording as recordings
from callflow import recorded
from callflow.context import NodeContext
from callflow.module import CallflowModule, ModuleData
from callflow.outcomes import Continue, Outcome, Wait
from kazoo_tasks.docstore import account_db
from kazoo_tasks.events import CallEvent
from kazoo_tasks.switch_files import NAME

DEFAULT_FORMAT = "mp3"
STOP_VARIABLES = ("record_ms",)


class RecordCallSchema(ModuleData):
    """Kazoo's callflows.record_call data."""

    action = fields.String(load_default="start", validate=validate.OneOf(["start", "stop"]))
    format = fields.String(validate=validate.OneOf(["mp3", "wav"]))
    time_limit = fields.Integer(load_default=3600, validate=validate.Range(min=5, max=10800))
    record_min_sec = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10800))
    record_on_answer = fields.Boolean(load_default=False)
    label = fields.String(validate=validate.Length(max=128))
    media_name = fields.String(validate=validate.Length(min=1, max=128))
    record_on_bridge = fields.Boolean()
    record_sample_rate = fields.Integer()
    should_follow_transfer = fields.Boolean()
    method = fields.String(validate=validate.OneOf(["put", "post"]))
    url = fields.String()
    origin = fields.String()


class RecordCall(CallflowModule):
    """Starts a recording and continues; or stops the call's recordings, settles them,
    and continues."""

    data_schema = RecordCallSchema

    def start(self, ctx: NodeContext) -> Outcome:
        if ctx.data["action"] == "stop":
            return self._stop(ctx)
        self._start(ctx)
        return Continue()

    def _start(self, ctx: NodeContext) -> None:
        data, call = ctx.data, ctx.call
        extension = data.get("format") or DEFAULT_FORMAT
        doc_id = recordings.recording_id(call["call_id"], ctx.path)
        name = data.get("media_name") or f"{doc_id}.{extension}"
        if not NAME.match(name):
            ctx.note(f"media_name {name!r} is not a file name: {doc_id}.{extension} instead")
            name = f"{doc_id}.{extension}"
        label = data.get("label") or call.get("callflow_id") or ""
        doc = recordings.new_recording(
            str(call["account_id"]),
            doc_id,
            call,
            name=name,
            extension=extension,
            origin=f"callflow : {label}",
            now=ctx.now(),
        )
        recorded.create_pending(ctx.documents(), account_db(str(call["account_id"])), doc)
        limit = data["time_limit"]
        target = ctx.recording_target(
            doc_id, attachment=name, extension=extension, max_seconds=limit
        )
        on_answer = data["record_on_answer"] and not call["answered"]
        if on_answer:
            ctx.execute("set", f"execute_on_answer=record_session {target} {limit}")
        else:
            ctx.execute("record_session", f"{target} {limit}")
        entry = {
            "id": doc_id,
            "target": target,
            "min_ms": data["record_min_sec"] * 1000,
            "time_limit": limit,
            "started_at": ctx.now(),
            "on_answer": on_answer,
        }
        started = [r for r in ctx.kvs_fetch(recordings.KVS_KEY, []) if r["id"] != doc_id]
        ctx.kvs_store(recordings.KVS_KEY, [*started, entry])
        ctx.at_call_end(
            recordings.FINISH_TASK, [str(call["account_id"]), entry], variables=STOP_VARIABLES
        )
        ctx.note(f"recording {doc_id} ({extension}, at most {limit} s)")

    def _stop(self, ctx: NodeContext) -> Outcome:
        running = ctx.kvs_fetch(recordings.KVS_KEY, [])
        if not running:
            ctx.note("no recording to stop")
            return Continue()
        for entry in running:
            ctx.state["waiting"] = ctx.execute("stop_record_session", entry["target"])
            ctx.state.setdefault("stopping", []).append(entry)
        return Wait()

    def on_event(self, ctx: NodeContext, event: CallEvent) -> Outcome:
        if ctx.completed(event) != ctx.state.get("waiting"):
            return Wait()
        variable = event.get("headers", {}).get("variable_record_ms", "")
        for entry in ctx.state["stopping"]:
            duration = int(variable) if variable.isdigit() else 0
            kept = recordings.settle(
                ctx.documents(),
                str(ctx.call["account_id"]),
                entry["id"],
                duration,
                entry["min_ms"],
                ctx.now(),
            )
            ctx.note(f"recording {entry['id']} ({duration} ms) {'kept' if kept else 'too short'}")
        ctx.kvs_store(recordings.KVS_KEY, [])
        return Continue()
