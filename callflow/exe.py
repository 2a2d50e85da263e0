"""The navigator (Kazoo's cf_exe): moves one call through its callflow, one event at a time.

A :class:`Navigator` wraps a call record loaded from Redis. :meth:`Navigator.apply` takes
one event: the ``CHANNEL_PARK`` that starts the call routes it and runs its root node;
later events update the record and go to the node that waits. Nodes run back to back
until one waits for an event or the flow ends; nothing here blocks or sleeps. The
commands and tasks a step produces are collected in :attr:`Navigator.outbox` and leave
only after the caller committed the new record (:mod:`callflow.runner`).

Semantics, as in cf_exe:

* ``continue(key)`` goes to the child ``key``, else to ``_``, else stops;
* ``branch`` runs another callflow, pushing the current node's ``_`` child (if any) on a
  stack; more than ``Settings.branch_limit`` branches end the call;
* ``branch_with`` runs a flow a module was given (a function's) as a branch: the same
  stack and limit as ``branch``;
* ``continue_with`` runs a flow a module was given (a pivot server's) in place of the
  rest of this one, without pushing anything;
* ``stop`` pops the stack and resumes there; with an empty stack it hangs up;
* ``hard_stop`` hangs up whatever the stack holds;
* an unknown module, data its schema rejects, or a module that raises: continue to ``_``;
* a call runs at most ``Settings.node_run_limit`` nodes, so a flow that loops without
  branching ends instead of spinning.

Timers (:mod:`kazoo_tasks.timers`): a node arms one with ``ctx.start_timer``; the arm
leaves in the outbox like a command. Leaving the node (for a child, a branch, the end of
the flow or of the call) disarms its timers. A ``TIMER_FIRED`` reaches the module only if
its timer is still armed at the current node, once; any other is ignored and traced.
"""

from __future__ import annotations

import functools
import logging
import uuid
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError

from acdc import outbound
from acdc.tasks import DISTRIBUTE_TASK
from callflow import camping, channel_hooks, kazoo_modules, limits, router
from callflow.cdr import build_cdr
from callflow.context import Environment, NodeContext
from callflow.legs import PICKED_OFF
from callflow.module import CallflowModule
from callflow.outcomes import (
    DEFAULT_CHILD,
    Attempt,
    Branch,
    BranchWith,
    Continue,
    ContinueWith,
    HardStop,
    Outcome,
    Stop,
    Wait,
    describe,
)
from callflow.registry import load_module
from kazoo_tasks import logs
from kazoo_tasks.callstate.record import (
    ACCOUNT_CCV,
    CCV_PREFIX,
    STATUS_ACTIVE,
    STATUS_ENDED,
    STATUS_ENDING,
    current_node,
    leg_record,
    new_call_record,
    node_path,
)
from kazoo_tasks.commands import validate_command
from kazoo_tasks.docstore import DocumentStoreError, Unavailable
from kazoo_tasks.events import RESYNC_HEADER, STATE_CHECK, SYNTHETIC_HEADER, CallEvent
from kazoo_tasks.stages import stamp
from kazoo_tasks.timers import MAX_TIMER_SECONDS, TIMER_FIRED, ArmedTimer, timer_id
from kazoo_tasks.webhooks import CHANNEL_ANSWER, CHANNEL_BRIDGE, CHANNEL_CREATE, CHANNEL_DESTROY
from kazoo_tasks.webhooks.matching import matching_hooks

log = logging.getLogger(__name__)

END_EVENTS = frozenset({"CHANNEL_HANGUP_COMPLETE", "CALL_REAPED"})
"""Events that end a call: the switch's, and the reaper's synthetic one."""
STATE_LOST_EVENTS = frozenset(
    {
        "CHANNEL_ANSWER",
        "CHANNEL_EXECUTE_COMPLETE",
        "CHANNEL_BRIDGE",
        "CHANNEL_UNBRIDGE",
        "DTMF",
        "RECORD_STOP",
        "CHANNEL_HANGUP_COMPLETE",
        STATE_CHECK,
    }
)
"""Switch events that only come for a call we run: without its state, the state was lost
(not ``COMMAND_ERROR``: a command published long ago can be refused after its call's
keys expired)."""
STATE_LOST_CAUSE = "NORMAL_TEMPORARY_FAILURE"
"""Hangup cause of a call whose state was lost (Q.850 41: try again)."""
TRACE_LIMIT = 200
"""Trace entries kept per call (the oldest are dropped and counted beyond that)."""
_COMMAND_NAMESPACE = uuid.UUID("5d2d3c4e-6f1a-4d0e-9a43-4b7f0e6c2a11")
_OUTCOMES = (Wait, Continue, Stop, HardStop, Attempt, Branch, BranchWith, ContinueWith)


def _event_label(event: CallEvent) -> str:
    """An event's name for the trace (``TIMER_FIRED:<timer name>`` for a timer)."""
    if event["name"] == TIMER_FIRED:
        return f"{TIMER_FIRED}:{event.get('timer_name', '')}"
    return event["name"]


def _says_answered(event: CallEvent) -> bool:
    """Whether a channel event shows the channel answered (``Answer-State``): its
    ``CHANNEL_ANSWER`` may have fallen in an ESL gap, and a module that answers a channel
    it takes for unanswered would write a second ``answer``."""
    return event["headers"].get("Answer-State") == "answered"


def _answered_at(event: CallEvent) -> float:
    """When the channel was answered: FreeSWITCH's ``Caller-Channel-Answered-Time``
    (microseconds) when the event carries it, else the event's own time (0: neither)."""
    micros = event["headers"].get("Caller-Channel-Answered-Time", "")
    if micros.isdigit() and int(micros) > 0:
        return int(micros) / 1_000_000
    return event["timestamp"]


def _sequence(event: CallEvent | None) -> int | None:
    """The switch's ``Event-Sequence`` of an event, for the trace (None: synthetic)."""
    return (event or {}).get("sequence") or None  # type: ignore[return-value]


def _never_answered_park(event: CallEvent) -> bool:
    """A ``STATE_CHECK`` of a call still parked and never answered: its park was lost
    with Redis's data before any node ran, so it is routed now."""
    headers = event["headers"]
    return (
        event["name"] == STATE_CHECK
        and headers.get("Answer-State") in ("ringing", "early")
        and headers.get("variable_current_application") == "park"
    )


@functools.cache
def _schema(schema_class: type[Schema]) -> Schema:
    """One instance per data schema class (building one costs more than a load)."""
    return schema_class()


def command_id(call_id: str, seq: int, epoch: str = "") -> str:
    """The id of the call's ``seq``-th command: the same however often the step re-runs.

    ``epoch`` tells apart the commands of a record rebuilt after its state was lost (its
    counter starts again at 0, and ids already claimed must not be met again)."""
    seed = f"{call_id}#{epoch}#{seq}" if epoch else f"{call_id}#{seq}"
    return str(uuid.uuid5(_COMMAND_NAMESPACE, seed))


class Navigator:
    """Applies events to one call record (None before the call is routed)."""

    def __init__(self, record: dict[str, Any] | None, env: Environment) -> None:
        self.record = record
        self.env = env
        self.outbox: list[dict[str, Any]] = []

    # -- events ------------------------------------------------------------------------

    def apply(self, event: CallEvent) -> None:
        """Apply one event of the call (events arrive in the switch's order)."""
        record = self.record
        if event.get("leg_of"):
            self._leg_event(event)
            return
        if record is None:
            if event["name"] == "CHANNEL_PARK" or _never_answered_park(event):
                self._start(event)
            elif event["name"] in STATE_LOST_EVENTS:
                self._state_lost(event)
            else:
                log.debug("call %s: %s for a call we do not run", event["call_id"], event["name"])
            return
        if self._seen(event) or record["status"] == STATUS_ENDED:
            return
        self._trace_synthetic(event)
        if event["name"] == STATE_CHECK:  # the call's state is here: nothing to do
            return
        name = event["name"]
        if self._transferred(event) and name != "CHANNEL_PARK" and name not in END_EVENTS:
            return
        if self._picked_off(event):
            return
        if name == "CHANNEL_PARK" and SYNTHETIC_HEADER not in event["headers"]:
            self._reparked(event)
            return
        if name in END_EVENTS:
            self._ended(event)
            return
        if not record["answered"] and (name == "CHANNEL_ANSWER" or _says_answered(event)):
            record["answered"] = True
            at = event["timestamp"] if name == "CHANNEL_ANSWER" else _answered_at(event)
            record["answered_at"] = at or self.env.now()
            self._channel_hook(CHANNEL_ANSWER)
        elif name == "CHANNEL_BRIDGE":
            record["other_leg_call_id"] = event.get("other_leg_call_id")
            self._channel_hook(CHANNEL_BRIDGE)
            self._agents_on_call()
        if name == TIMER_FIRED and not self._take_timer(event):
            return
        if record["status"] == STATUS_ACTIVE and record["position"] is not None:
            self._follow(self._to_node(event))

    def _leg_event(self, event: CallEvent) -> None:
        """An event of a B leg this call created: note it (who answered; the leg's own
        CDR, linked to this call, when it hangs up), then hand it to the waiting node."""
        record = self.record
        if record is None or self._seen(event):
            return
        leg_id, name = event["call_id"], event["name"]
        leg = record.setdefault("legs", {}).setdefault(leg_id, {})
        device = event["headers"].get(f"{CCV_PREFIX}Authorizing-ID")
        if device:
            leg["device"] = device
        owner = event["headers"].get(f"{CCV_PREFIX}Owner-ID")
        if owner:
            leg["owner"] = owner
        if name == "CHANNEL_ANSWER":
            leg["answered_at"] = event["timestamp"] or self.env.now()
            self._trace(step="leg", event=name, leg=leg_id)
        elif name == "CHANNEL_HANGUP_COMPLETE":
            ended = leg_record(event, record, self.env.now())
            leg["hangup_cause"] = ended["hangup_cause"]
            self._trace(step="leg", event=name, leg=leg_id, outcome=ended["hangup_cause"])
            self.outbox.append({"type": "cdr", "cdr": build_cdr(ended)})
            self._devices_freed({leg.get("device") or ""} - {""})
        if record["status"] == STATUS_ACTIVE and record["position"] is not None:
            self._follow(self._to_node(event))

    def _seen(self, event: CallEvent) -> bool:
        """Whether ``event`` repeats one already applied (same node, sequence not newer)."""
        last = self.record["last_event"]  # type: ignore[index]
        sequence = event.get("sequence", 0)
        if not sequence:
            return False
        if event["node"] == last["node"] and sequence <= last["sequence"]:
            log.info(
                "call %s: event %s #%s applied already", event["call_id"], event["name"], sequence
            )
            return True
        self.record["last_event"] = {"node": event["node"], "sequence": sequence}  # type: ignore[index]
        return False

    def _take_timer(self, event: CallEvent) -> bool:
        """Whether the fired timer is armed at the current node (it is disarmed now);
        a duplicate, or a timer of a node the call left, is traced and ignored."""
        armed = self.record.setdefault("node_timers", {})  # type: ignore[union-attr]
        if armed.pop(event.get("timer_id"), None) is not None:
            return True
        log.info(
            "call %s: timer %s (%s) fired after its node moved on, ignored",
            event["call_id"],
            event.get("timer_name"),
            event.get("timer_id"),
        )
        self._trace(step="timer", event=_event_label(event), outcome="ignored", note="not armed")
        return False

    def _trace_synthetic(self, event: CallEvent) -> None:
        """Trace an event ecallmgr made or marked, with its reason: a refused command, or
        what an ESL gap re-sync found (a recovered completion, a hangup or park, the
        re-sync probe's completion)."""
        headers = event.get("headers") or {}
        note = headers.get(SYNTHETIC_HEADER) or headers.get(RESYNC_HEADER)
        if note:
            command = event.get("application_uuid")
            self._trace(step="ecallmgr", event=event["name"], command=command, note=note)

    def _state_lost(self, event: CallEvent) -> None:
        """An event of a call ecallmgr controls, but the call has no state: Redis lost it
        (restarted without persistence, or flushed). Nobody can run the call any more, so
        it ends now, cleanly: hung up with :data:`STATE_LOST_CAUSE` if it is still up, and
        a CDR (from what the event carries) either way."""
        record = self.record = new_call_record(event)
        record["account_id"] = record["ccvs"].get(ACCOUNT_CCV)
        record["epoch"] = f"lost@{event.get('sequence') or event['received_at']}"
        note = "call state lost (Redis restarted or flushed): the call cannot go on"
        log.error("call %s: %s; ending it (%s)", event["call_id"], note, event["name"])
        self._trace(step="state_lost", event=event["name"], note=note)
        if event["name"] in END_EVENTS:
            self._ended(event)
        else:
            self._end_flow(STATE_LOST_CAUSE)

    def _start(self, event: CallEvent) -> None:
        record = self.record = new_call_record(event)
        record["last_event"]["sequence"] = event.get("sequence", 0)
        if SYNTHETIC_HEADER in event["headers"]:  # the call may have had a life before
            record["epoch"] = f"{event['name']}@{event['received_at']}"
        self._trace_synthetic(event)
        self._route()
        self._channel_hook(CHANNEL_CREATE)

    def _transferred(self, event: CallEvent) -> bool:
        """Whether ``event`` is the first to show that the switch transferred the call out
        of its node (a blind transfer: ``uuid_transfer``, the ``transfer`` application, a
        phone's REFER). The call then leaves its node, quietly, as Kazoo's cf_exe stops on
        a transfer: what the node was waiting for (a bridge's end, a prompt) is no reason
        to go on or hang up; the call parks again and is routed for its new number."""
        record = self.record
        assert record is not None
        source = event["headers"].get("Caller-Transfer-Source") or ""
        if ":bl_xfer:" not in source or source == record.get("transfer_source"):
            return False
        record["transfer_source"] = source
        target = source.split(":bl_xfer:", 1)[1]
        self._leave_quietly(event, "transfer", f"transferred to {target}")
        return True

    def _picked_off(self, event: CallEvent) -> bool:
        """Whether ``event`` ends a bridge because another phone intercepted the caller:
        while its legs rang (``intercept``, ``group_pickup``: the bridge ends
        ``PICKED_OFF``), or while it talked (``move``: the switch took it out of its
        answered bridge and ``uuid_bridge``d it to the interceptor: the bridge's end is
        the first event to show that transfer source, ``...:uuid_br:<interceptor>``; one
        seen before, on any event, is an earlier ``uuid_bridge`` the call went through).
        The switch bridges the caller to that phone now, so, as with a transfer, the call
        leaves its node quietly (no failure branch, no voicemail, no hangup) and stays up
        until someone hangs up."""
        record = self.record
        assert record is not None
        source = event["headers"].get("Caller-Transfer-Source") or ""
        fresh = ":uuid_br:" in source and source != record.get("transfer_source")
        if fresh:
            record["transfer_source"] = source
        if event["name"] != "CHANNEL_EXECUTE_COMPLETE" or event.get("application_name") != "bridge":
            return False
        interceptor = source.split(":uuid_br:", 1)[1] if fresh else ""
        taken = bool(interceptor) and interceptor not in (record.get("legs") or {})
        picked_off = event["headers"].get("variable_originate_disposition") == PICKED_OFF
        if not (picked_off or taken):
            return False
        self._leave_quietly(event, "picked_off", "picked off: bridged to the interceptor")
        return True

    def _leave_quietly(self, event: CallEvent, step: str, note: str) -> None:
        """Leave the current node (if any) without its outcome; its ``at_transfer`` tasks
        run."""
        record = self.record
        assert record is not None
        if record["position"] is None:
            return
        for task in record.get("at_transfer") or []:  # what the node asked for
            self.task(task["name"], task["args"])
        self._leave_node()
        record["position"] = None
        self._trace(step=step, event=event["name"], note=note)

    def _reparked(self, event: CallEvent) -> None:
        """A running call parked again: it went back through the switch's dialplan (a
        blind ``transfer``). As in Kazoo, it is routed again, for its new number; the rest
        of the record (account, trace, counters) carries on."""
        record = self.record
        assert record is not None
        fresh = new_call_record(event)
        self._leave_node()
        for key in ("request_user", "request", "to", "callee_id_name", "callee_id_number"):
            record[key] = fresh[key]
        record["ccvs"].update(fresh["ccvs"])
        record.update(position=None, stack=[], status=STATUS_ACTIVE, hangup_sent=False)
        self._trace(
            step="route", event=event["name"], note=f"parked again for {fresh['request_user']}"
        )
        self._route()

    def _route(self) -> None:
        """Find the record's callflow (its account and dialed number) and start it."""
        record = self.record
        assert record is not None
        found = router.route(
            self.env.documents(),
            record["ccvs"].get(ACCOUNT_CCV) or record.get("account_id"),
            record["request_user"],
            self.env.cache,
        )
        stamp("routed", record["call_id"])
        if isinstance(found, router.NoRoute):
            record["account_id"] = found.account_id
            log.warning("call %s: not routed: %s", record["call_id"], found.reason)
            self._trace(step="route", outcome="no_route", note=found.reason)
            self._end_flow(found.cause)
            return
        if not self._authorized(found.account_id):
            return
        callflow_id = found.callflow["_id"]
        record.update(
            account_id=found.account_id,
            callflow_id=callflow_id,
            capture_group=found.capture_group,
            capture_groups=found.capture_groups,
        )
        record["flows"][callflow_id] = found.callflow.get("flow") or {}
        self._trace(step="route", outcome=f"{found.matched_by}:{callflow_id}")
        self._follow(self._launch(callflow_id, []))

    def _authorized(self, account_id: str) -> bool:
        """Claim the routed call against its account's limits (:mod:`callflow.limits`);
        refused: traced, and the call is hung up as Kazoo does (False)."""
        record = self.record
        assert record is not None
        env = self.env
        authorizer = limits.Authorizer(env.documents(), env.redis_client(), env.settings, env.cache)
        accounts = record.get("limit_accounts") or authorizer.accounts(account_id)
        carrier = not record["ccvs"].get(limits.AUTHORIZING_CCV)
        claimed = authorizer.call(
            record["call_id"], accounts, record["request_user"], carrier=carrier, now=env.now()
        )
        record["limit_accounts"] = accounts
        if claimed.allowed:
            for name, billing in zip(limits.BILLING_CCVS, claimed.billings, strict=False):
                if billing in limits.TRUNK_BILLINGS:
                    record["ccvs"][name] = billing
            return True
        record["account_id"] = account_id
        note = f"{claimed.reason} (account {claimed.refused_by})"
        log.warning("call %s: refused by the limits: %s", record["call_id"], note)
        self._trace(step="limits", outcome="refused", note=note)
        self._end_flow(limits.INBOUND_REFUSED)
        return False

    def _ended(self, event: CallEvent) -> None:
        record = self.record
        assert record is not None
        self._leave_node()
        if record.get("limit_accounts"):  # the limits' claims of the call, given back
            env = self.env
            limits.Authorizer(env.documents(), env.redis_client(), env.settings).release(
                record["call_id"], record["limit_accounts"]
            )
        record.update(
            status=STATUS_ENDED,
            position=None,
            hungup_at=event["timestamp"] or self.env.now(),
            hangup_cause=event.get("hangup_cause") or "NORMAL_CLEARING",
            expire_at=self.env.now() + self.env.settings.hangup_grace,
        )
        self._trace(step="end", event=event["name"], outcome=record["hangup_cause"])
        self.outbox.append({"type": "cdr", "cdr": build_cdr(record)})
        self._channel_hook(CHANNEL_DESTROY)
        self._devices_freed(camping.freed_devices(record))
        if record.get("agent_calls"):  # ACDc agents this call made busy: free again
            account, env = record["account_id"], self.env
            again = outbound.calls_ended(
                env.redis_client(), env.settings.namespace, account, record["agent_calls"],
                record["call_id"],
            )  # fmt: skip
            if again:
                self.task(DISTRIBUTE_TASK, [account, again])
        headers = event.get("headers") or {}
        for task in record.get("at_end") or []:  # what modules asked for (ctx.at_call_end)
            ended = {
                "hungup_at": record["hungup_at"],
                "answered_at": record.get("answered_at"),
                "variables": {name: headers.get(f"variable_{name}") for name in task["variables"]},
            }
            self.outbox.append(
                {"type": "task", "name": task["name"], "args": [*task["args"], ended]}
            )

    def _devices_freed(self, devices: set[str]) -> None:
        """Phones that just left a call: if someone camps on one of them
        (``camping_feature``), the camp check runs once this step is committed."""
        account_id = (self.record or {}).get("account_id")
        if not devices or not account_id:
            return
        env = self.env
        if camping.watched(env.redis_client(), env.settings.namespace, account_id, devices):
            self.task(camping.CHECK_TASK, [account_id, sorted(devices)])

    # -- running nodes -----------------------------------------------------------------

    def _follow(self, outcome: Outcome | None) -> None:
        """Apply outcomes until a node waits or the flow ends."""
        while outcome is not None:
            outcome = self._step(outcome)

    def _step(self, outcome: Outcome) -> Outcome | None:
        record = self.record
        assert record is not None
        position = record["position"]
        match outcome:
            case Wait():
                return None
            case Continue(key=key):
                child = self._child_key(key) or self._child_key(DEFAULT_CHILD)
                if child is None:
                    return Stop()
                return self._launch(position["callflow_id"], [*position["path"], child])
            case Attempt(key=key, otherwise=otherwise):
                if self._child_key(key) is None:
                    return otherwise
                return self._launch(position["callflow_id"], [*position["path"], key])
            case Branch(callflow_id=callflow_id, capture_groups=captured) if captured is not None:
                record.update(capture_group=outcome.capture_group, capture_groups=dict(captured))
                return self._branch(callflow_id)
            case Branch(callflow_id=callflow_id):
                return self._branch(callflow_id)
            case BranchWith(flow=flow, name=name):
                return self._branch_with(flow, name)
            case ContinueWith(flow=flow, name=name):
                return self._launch(self._inline_flow(flow, name), [])
            case Stop(cause=cause):
                if record["stack"]:
                    resume = record["stack"].pop()
                    return self._launch(resume["callflow_id"], resume["path"])
                self._end_flow(cause)
                return None
            case HardStop(cause=cause):
                self._end_flow(cause)
                return None
        raise TypeError(f"not an outcome: {outcome!r}")

    def _branch(self, callflow_id: str) -> Outcome | None:
        record = self.record
        assert record is not None
        if self._branch_limit_reached(callflow_id):
            return HardStop()
        if callflow_id not in record["flows"]:
            doc = router.load_callflow(
                self.env.documents(), record["account_id"], callflow_id, self.env.cache
            )
            if doc is None:
                log.warning("call %s: callflow %s not found", record["call_id"], callflow_id)
                self._trace(step="branch", outcome="missing", note=callflow_id)
                return Continue()
            record["flows"][callflow_id] = doc.get("flow") or {}
        self._push_resume()
        return self._launch(callflow_id, [])

    def _branch_with(self, flow: dict[str, Any], name: str) -> Outcome | None:
        """Branch to ``flow``, a module's: pushed first, so the flow this node is in stays
        among the call's flows when it is an inline one the stack now returns to."""
        if self._branch_limit_reached(name):
            return HardStop()
        self._push_resume()
        return self._launch(self._inline_flow(flow, name), [])

    def _branch_limit_reached(self, target: str) -> bool:
        record = self.record
        assert record is not None
        if record["branch_count"] < self.env.settings.branch_limit:
            return False
        log.warning(
            "call %s: branch limit (%d) reached at %s, ending the call",
            record["call_id"],
            self.env.settings.branch_limit,
            self._path(),
        )
        self._trace(step="branch", outcome="branch_limit", note=target)
        return True

    def _push_resume(self) -> None:
        """Push this node's ``_`` child (if any) on the branch stack; count the branch."""
        record = self.record
        assert record is not None
        position = record["position"]
        if self._child_key(DEFAULT_CHILD):
            resume = [*position["path"], DEFAULT_CHILD]
            record["stack"].append({"callflow_id": position["callflow_id"], "path": resume})
        record["branch_count"] += 1

    def _inline_flow(self, flow: dict[str, Any], name: str) -> str:
        """Keep ``flow`` (a module's, not a saved callflow) among the call's flows under a
        new id, forgetting the earlier inline flows nothing on the stack returns to (a
        pivot that pivots again and again keeps one, not all)."""
        record = self.record
        assert record is not None
        inline: list[str] = record.setdefault("inline_flows", [])
        kept = {entry["callflow_id"] for entry in record["stack"]}
        for old in [ident for ident in inline if ident not in kept]:
            inline.remove(old)
            record["flows"].pop(old, None)
        seq = record.get("inline_seq", 0) + 1
        record["inline_seq"] = seq
        ident = f"{name}-{seq}"
        inline.append(ident)
        record["flows"][ident] = flow
        return ident

    def _launch(self, callflow_id: str, path: list[str]) -> Outcome | None:
        """Make the node at ``path`` of ``callflow_id`` current and start its module."""
        record = self.record
        assert record is not None
        self._leave_node()
        record["position"] = {"callflow_id": callflow_id, "path": path}
        logs.annotate(path=self._path(), account_id=record.get("account_id"))
        node = self._node()
        if not node:
            return Stop()
        if record["node_runs"] >= self.env.settings.node_run_limit:
            log.warning("call %s: node run limit reached at %s", record["call_id"], self._path())
            self._trace(step="start", outcome="node_run_limit")
            return HardStop()
        record["node_runs"] += 1
        name = str(node.get("module", ""))
        module = load_module(name)
        if module is None:
            note = kazoo_modules.not_implemented(name) or "unknown module"
            log.error("call %s: module %r at %s: %s", record["call_id"], name, self._path(), note)
            self._trace(step="start", module=name, outcome="continue:_", note=note)
            return Continue()
        raw_data = node.get("data") or {}
        if isinstance(raw_data, dict) and raw_data.get("skip_module") is True:
            self._trace(step="start", module=name, outcome="continue:_", note="skip_module")
            return Continue()
        return self._invoke(module, node, "start", None)

    def _to_node(self, event: CallEvent) -> Outcome | None:
        node = self._node()
        module = load_module(str(node.get("module", "")))
        if module is None:  # the module vanished between events (uninstalled)
            return Continue()
        return self._invoke(module, node, "event", event)

    def _invoke(
        self, module: CallflowModule, node: dict[str, Any], step: str, event: CallEvent | None
    ) -> Outcome | None:
        """Run a module handler; anything it raises sends the call on to ``_``, except
        the document store being unreachable: that propagates, nothing of the step is
        committed, and the task applies the event again once the store is back."""
        record = self.record
        assert record is not None
        name = str(node.get("module"))
        event_name = _event_label(event) if event else None
        try:
            data = _schema(module.data_schema).load(node.get("data") or {}, unknown=EXCLUDE)
            ctx = NodeContext(record, node, data, self._path(), self, self.env)
            outcome = module.start(ctx) if event is None else module.on_event(ctx, event)
            if not isinstance(outcome, _OUTCOMES):
                raise TypeError(f"{name}: returned {outcome!r}, not an outcome")
        except Unavailable:
            raise
        except ValidationError as exc:
            log.error(
                "call %s: bad data for %s at %s: %s", record["call_id"], name, self._path(), exc
            )
            note = f"bad data: {exc.messages}"
        except Exception as exc:
            log.exception("call %s: module %s failed at %s", record["call_id"], name, self._path())
            note = f"crashed: {exc!r}"
        else:
            if event is None or not isinstance(outcome, Wait):
                self._trace(
                    step=step, module=name, event=event_name, seq=_sequence(event),
                    outcome=describe(outcome),
                )  # fmt: skip
            return outcome
        self._trace(
            step=step, module=name, event=event_name, seq=_sequence(event), outcome="continue:_",
            note=note,
        )  # fmt: skip
        return Continue()

    def _end_flow(self, cause: str | None) -> None:
        """The flow is over: hang the call up (once) and wait for the switch to confirm."""
        record = self.record
        assert record is not None
        self._leave_node()
        record.update(position=None, status=STATUS_ENDING)
        if not record["hangup_sent"]:
            self.command("hangup", cause=cause or "NORMAL_CLEARING")
            record["hangup_sent"] = True
        self._trace(step="end", outcome=f"hangup:{cause or 'NORMAL_CLEARING'}")

    def _leave_node(self) -> None:
        """Forget the current node's state and commands, and disarm its timers."""
        record = self.record
        assert record is not None
        for ident in list(record.get("node_timers") or {}):
            self.disarm_timer(ident)
        record.update(node_state={}, node_commands=[], node_timers={})
        record.pop("at_transfer", None)

    # -- the flow tree ---------------------------------------------------------------

    def _node(self) -> dict[str, Any]:
        return current_node(self.record)  # type: ignore[arg-type]

    def _child_key(self, key: str) -> str | None:
        children = self._node().get("children") or {}
        return key if children.get(key) else None

    def _path(self) -> str:
        return node_path(self.record)  # type: ignore[arg-type]

    # -- output ------------------------------------------------------------------------

    def command(
        self, kind: str, app: str = "", args: str = "", *, event_lock: bool = True, cause: str = ""
    ) -> str:
        """Queue a validated call command (published after the commit); returns its id."""
        record = self.record
        assert record is not None
        cmd: dict[str, Any] = {
            "id": command_id(record["call_id"], record["command_seq"], record.get("epoch", "")),
            "call_id": record["call_id"],
            "node": record["node"],
            "kind": kind,
            "event_lock": event_lock,
        }
        if app:
            cmd.update(app=app, args=args)
        if cause:
            cmd["hangup_cause"] = cause
        cmd = validate_command(cmd)
        record["command_seq"] += 1
        record["node_commands"].append(cmd["id"])
        self.outbox.append({"type": "command", "command": cmd})
        return cmd["id"]

    def arm_timer(self, seconds: float, name: str) -> str:
        """Arm a timer of the current node (armed once the step is committed); returns
        its id, which comes back as ``timer_id`` of its TIMER_FIRED."""
        record = self.record
        assert record is not None
        if not 0 <= seconds <= MAX_TIMER_SECONDS:
            raise ValueError(f"timer of {seconds!r} s: between 0 and {MAX_TIMER_SECONDS:g} s")
        seq = record.get("timer_seq", 0)
        record["timer_seq"] = seq + 1
        timer = ArmedTimer(
            record["call_id"],
            record["node"],
            timer_id(record["call_id"], seq),
            name,
            round(self.env.now() + seconds, 3),
        )
        record.setdefault("node_timers", {})[timer.timer_id] = {
            "name": name,
            "due_at": timer.due_at,
        }
        self.outbox.append(timer.outbox_entry("arm"))
        return timer.timer_id

    def disarm_timer(self, ident: str) -> bool:
        """Disarm a timer of the current node; False if it is not armed (fired, or not
        this node's)."""
        record = self.record
        assert record is not None
        armed = record.setdefault("node_timers", {}).pop(ident, None)
        if armed is None:
            return False
        timer = ArmedTimer(record["call_id"], record["node"], ident, armed["name"], armed["due_at"])
        self.outbox.append(timer.outbox_entry("disarm"))
        return True

    def task(self, name: str, args: list[Any]) -> None:
        """A Celery task a module sends (``ctx.send_task``), published after the commit."""
        self.outbox.append({"type": "task", "name": name, "args": args})

    def _channel_hook(self, hook_event: str) -> None:
        """Send ``hook_event`` of the call to the account's hooks that want it, after the
        commit (:mod:`callflow.channel_hooks`). A store that cannot say which hooks there
        are costs the hooks this event, never the call."""
        record = self.record
        assert record is not None
        if not record.get("account_id"):
            return
        try:
            hooks = matching_hooks(
                self.env.documents(), record["account_id"], hook_event, self.env.cache
            )
        except DocumentStoreError as exc:
            log.warning("call %s: %s hooks not looked up: %s", record["call_id"], hook_event, exc)
            return
        self.outbox += channel_hooks.deliveries(record, hook_event, hooks, self.env.now())

    def _agents_on_call(self) -> None:
        """The call is bridged: the call-center agents on it (its caller's owner, the
        owner of the leg it is bridged to) are busy with it until it ends
        (:mod:`acdc.outbound`); a queue's own bridge leaves its agent as it is."""
        record = self.record
        assert record is not None
        other = (record.get("legs") or {}).get(record.get("other_leg_call_id") or "") or {}
        owners = [record["ccvs"].get("Owner-ID") or "", other.get("owner") or ""]
        if not record.get("account_id") or not any(owners):
            return
        busy = outbound.calls_started(
            self.env.redis_client(), self.env.settings.namespace, record["account_id"], owners,
            record["call_id"],
        )  # fmt: skip
        known = record.setdefault("agent_calls", [])
        known += [agent for agent in busy if agent not in known]

    def note(self, module: str, text: str) -> None:
        """A module's own line in the trace (``ctx.note``)."""
        self._trace(step="note", module=module, note=text)

    def _trace(self, **entry: Any) -> None:
        record = self.record
        assert record is not None
        entry = {k: v for k, v in entry.items() if v is not None}
        entry.setdefault("path", self._path())
        entry["at"] = round(self.env.now(), 3)
        record["trace"].append(entry)
        if len(record["trace"]) > TRACE_LIMIT:
            del record["trace"][0]
            record["trace_dropped"] += 1
