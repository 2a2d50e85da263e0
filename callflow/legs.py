"""Ringing people from a call: the bridge, its outcome and the failure branch.

A module that rings endpoints (a device, a user's devices, a ring group...) builds them
with :func:`endpoint_reader` (:mod:`callflow.endpoints`), hands them to
:func:`send_bridge` and waits for the bridge's ``CHANNEL_EXECUTE_COMPLETE``, which
:func:`bridge_result` reads. The switch's ``bridge`` application rings the legs
(simultaneous ``,`` or single ``|``, each with its ``leg_timeout`` / ``leg_delay_start``),
cancels the losers, plays ring-back or early media to the caller, and cancels every leg
when the caller hangs up; the A leg's channel variables set first make it come back to
us whatever happens (``continue_on_fail``, ``hangup_after_bridge=false``).

The outcome is never in ``Application-Response`` (always ``_none_``): FreeSWITCH leaves it
in the A leg's variables (recorded in tests/fixtures/freeswitch/bridge_app_*):
``originate_disposition`` (``SUCCESS``, ``USER_BUSY``, ``NO_ANSWER``,
``ALLOTTED_TIMEOUT``, ``ORIGINATOR_CANCEL``...), ``originate_failed_cause``,
``sip_invite_failure_status`` (486...) and ``bridge_uuid`` (the leg that answered).

A failure goes where Kazoo's ``cf_util:handle_bridge_failure`` sends it: the child named
by the hangup cause, else the child named by the SIP code (:func:`failure_child`), else
the next repeat, else ``_``. A bridge that answered ends the node with ``stop``: the call
is over when the people hang up, unless a flow that branched here resumes.

The events of the B legs (their answer, their hangup) reach the A leg's inbox
(:func:`kazoo_tasks.events.inbox_of`), so the trace shows who answered and each B leg
gets its own CDR, linked to the A leg's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from callflow import after_bridge
from callflow.caller_id import presented
from callflow.context import NodeContext
from callflow.endpoints import (
    CallContext,
    CallerId,
    Endpoint,
    EndpointReader,
    LegOptions,
    bridge_argument,
    text_value,
)
from callflow.media import MediaNotFound
from callflow.outcomes import Continue, Stop
from callflow.steps import CommandStep, Result, StepModule, Steps
from kazoo_tasks.docstore import NotFound, account_db
from kazoo_tasks.events import CallEvent

ANSWERED = "answered"
FAILED = "failed"
ERROR = "error"
CALLER_GONE = "caller_gone"

DEFAULT_RINGBACK = "%(2000,4000,440,480)"
"""What a caller hears while the legs ring without early media (Kazoo's US ring-back)."""
SUCCESS = "SUCCESS"
ORIGINATOR_CANCEL = "ORIGINATOR_CANCEL"
PICKED_OFF = "PICKED_OFF"
"""The bridge's disposition when another phone intercepted the caller while its legs
rang: the caller is bridged to that phone now (``intercept``, ``group_pickup``)."""
RINGING = "ringing"
"""Where a waiting :class:`Bridge` step keeps the ids of the devices it rings (for the
modules that pick a ringing call up, :mod:`callflow.live_calls`)."""


@dataclass(frozen=True)
class BridgeResult:
    """How a bridge ended: :data:`ANSWERED` (``other_leg``: the leg that answered),
    :data:`FAILED` (``cause``: the hangup cause, ``sip_code``: the far end's SIP answer,
    when there was one), :data:`ERROR` (the command was refused) or :data:`CALLER_GONE`
    (the caller hung up while the legs rang)."""

    status: str
    cause: str = ""
    sip_code: str = ""
    other_leg: str = ""
    disposition: str = ""

    @property
    def answered(self) -> bool:
        return self.status == ANSWERED

    def describe(self) -> str:
        """``answered by <uuid>`` / ``failed: USER_BUSY (sip 486)`` for the trace."""
        if self.answered:
            return f"answered by {self.other_leg or '?'}"
        detail = self.cause or self.disposition or "?"
        return f"{self.status}: {detail}" + (f" (sip {self.sip_code})" if self.sip_code else "")

    def to_json(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BridgeResult:
        return cls(**data)


@dataclass(frozen=True)
class BridgeOptions:
    """How the caller waits while the legs ring.

    ``strategy``: ``simultaneous`` or ``single``; ``timeout``: seconds the whole bridge may
    ring (FreeSWITCH's ``call_timeout``: it then fails with ``NO_ANSWER``; None: the legs'
    own timeouts); ``ringback``: a media id or URL, or a ``%(...)`` tone, played while
    ringing; ``ignore_early_media``: play ring-back even when a leg sends early media."""

    strategy: str = "simultaneous"
    timeout: int | None = None
    ringback: str | None = None
    ignore_early_media: bool = False


def call_context(ctx: NodeContext) -> CallContext:
    """What endpoints of the call's account need to know: the account's SIP realm and
    the caller id the callees see (:func:`callflow.caller_id.presented`)."""
    account_id = str(ctx.call["account_id"])
    try:
        account = ctx.documents().get(account_db(account_id), account_id)
    except NotFound:
        account = {}
    name, number = presented(ctx.call)
    caller = CallerId(text_value(name), text_value(number))
    return CallContext(account_id, str(account.get("realm") or ""), caller)


def endpoint_reader(ctx: NodeContext) -> EndpointReader:
    """Builds the endpoints (legs) of the call's account's devices, users and groups."""
    return EndpointReader(ctx.documents(), call_context(ctx), ctx.registrations(), ctx.cache)


def send_bridge(
    ctx: NodeContext, endpoints: list[Endpoint], options: BridgeOptions = BridgeOptions()
) -> str | BridgeResult:
    """Ring ``endpoints``: the bridge command's id, whose completion
    :func:`bridge_result` reads; or the result at once when nothing can ring (an
    unregistered device: ``USER_NOT_REGISTERED``; nothing at all: ``NO_ROUTE_DESTINATION``)."""
    plan = bridge_argument(endpoints, options.strategy)
    if plan.failure_cause:
        return BridgeResult(FAILED, cause=plan.failure_cause)
    variables = ["continue_on_fail=true", "hangup_after_bridge=false"]
    variables.append(f"ringback={_ringback(ctx, options.ringback)}")
    if options.timeout:
        variables.append(f"call_timeout={int(options.timeout)}")
    variables.append(f"ignore_early_media={'true' if options.ignore_early_media else 'false'}")
    ctx.execute("multiset", " ".join(variables))
    return ctx.execute("bridge", plan.argument)


def _ringback(ctx: NodeContext, reference: str | None) -> str:
    if not reference or reference.startswith("%("):
        return reference or DEFAULT_RINGBACK
    try:
        return ctx.media(reference)
    except (MediaNotFound, ValueError):
        ctx.note(f"ring-back media {reference} not found: the default tone plays")
        return DEFAULT_RINGBACK


def bridge_result(event: CallEvent) -> BridgeResult:
    """The outcome of a bridge from its completion (or ecallmgr's refusal)."""
    if event["name"] == "COMMAND_ERROR":
        return BridgeResult(ERROR, cause=event.get("application_response", ""))
    headers = event.get("headers") or {}

    def variable(name: str) -> str:
        return headers.get(f"variable_{name}", "")

    disposition = variable("originate_disposition")
    if disposition == SUCCESS:
        other = variable("bridge_uuid") or variable("last_bridge_to") or variable("signal_bond")
        return BridgeResult(ANSWERED, other_leg=other, disposition=disposition)
    if headers.get("Answer-State") == "hangup" or disposition == ORIGINATOR_CANCEL:
        return BridgeResult(CALLER_GONE, cause=ORIGINATOR_CANCEL, disposition=disposition)
    cause = (
        variable("originate_failed_cause") or disposition or variable("last_bridge_hangup_cause")
    )
    return BridgeResult(FAILED, cause, _sip_code(headers), disposition=disposition)


def _sip_code(headers: dict[str, str]) -> str:
    code = headers.get("variable_sip_invite_failure_status", "")
    if code.isdigit():
        return code
    proto = headers.get("variable_last_bridge_proto_specific_hangup_cause", "")
    return proto.removeprefix("sip:") if proto.startswith("sip:") else ""


def failure_child(result: BridgeResult, ctx: NodeContext) -> str | None:
    """The child a bridge that did not connect goes to (Kazoo's
    ``handle_bridge_failure``): the one named by its hangup cause, else by its SIP code;
    None when the node has neither."""
    for key in (result.cause, result.sip_code):
        if key and ctx.has_child(key):
            return key
    return None


# -- ringing as a step, and as a module -------------------------------------------------------

Target = tuple[str, str, int | None, int | None]
"""What to ring: ``(endpoint type, id, delay seconds, leg timeout seconds)``, type one of
``device``, ``user``, ``group`` or ``any`` (the type of the document the id names)."""


def resolve(reader: EndpointReader, targets: tuple[Target, ...]) -> list[Endpoint]:
    """The legs of ``targets``, in order, without duplicates (a device reached twice, as a
    member and through its owner, rings once)."""
    legs: list[Endpoint] = []
    seen: set[tuple[str, str | None]] = set()
    readers = {"device": reader.device, "user": reader.user, "group": reader.group}
    for kind, target_id, delay, timeout in targets:
        options = LegOptions(timeout=timeout, delay=delay)
        if kind not in readers:  # "any": whatever the id names
            kind = str((reader.document(target_id) or {}).get("pvt_type", "device"))
        found = readers.get(kind, reader.device)(target_id, options)
        for leg in found:
            key = (leg.endpoint_id, leg.target)
            if key not in seen:
                seen.add(key)
                legs.append(leg)
    return legs


@dataclass(frozen=True)
class Bridge(CommandStep):
    """A step that rings ``targets`` (see :data:`Target`) and connects the caller to the
    first that answers. Its result's ``details["bridge"]`` is the :class:`BridgeResult`
    (:func:`step_bridge_result`); the endpoints are read when the step starts (a replay
    reuses the recorded result), ``order`` ``weighted_random`` shuffles them by weight
    then."""

    targets: tuple[Target, ...]
    strategy: str = "simultaneous"
    timeout: int | None = None
    ringback: str | None = None
    ignore_early_media: bool = False
    weights: tuple[int, ...] = ()

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        legs = resolve(endpoint_reader(ctx), self._ordered(ctx))
        options = BridgeOptions(self.strategy, self.timeout, self.ringback, self.ignore_early_media)
        sent = send_bridge(ctx, legs, options)
        if isinstance(sent, BridgeResult):
            return Result(details={"bridge": sent.to_json()})
        run["command"] = sent
        run[RINGING] = sorted({leg.endpoint_id for leg in legs if leg.endpoint_id})
        return None

    def _ordered(self, ctx: NodeContext) -> tuple[Target, ...]:
        if not self.weights:
            return self.targets
        rng = random.Random(f"{ctx.call['call_id']}#{ctx.call['command_seq']}")
        keyed = [
            (rng.random() ** (1.0 / max(weight, 1)), target)
            for target, weight in zip(self.targets, self.weights, strict=True)
        ]
        return tuple(target for _, target in sorted(keyed, key=lambda kw: kw[0], reverse=True))

    def on_event(self, ctx: NodeContext, run: dict[str, Any], event: CallEvent) -> Result | None:
        if ctx.completed(event) != run["command"]:
            return None
        return Result(details={"bridge": bridge_result(event).to_json()})


def step_bridge_result(result: Result) -> BridgeResult:
    """The :class:`BridgeResult` a :class:`Bridge` step gave (a caller who hung up before
    it could start: :data:`CALLER_GONE`)."""
    if result.hung_up and "bridge" not in result.details:
        return BridgeResult(CALLER_GONE, cause=ORIGINATOR_CANCEL)
    return BridgeResult.from_json(result.details.get("bridge") or {"status": ERROR})


class RingModule(StepModule):
    """Base of the modules that ring endpoints (device, user, group, ring_group): one
    :class:`Bridge` per repeat; a connected call stops the flow, a failure takes the
    cause's or SIP code's child, else the next repeat, else ``_`` (Kazoo's cf_ring_group
    and cf_user). When a connected bridge ends, an earlier ``after_bridge`` node's choice
    applies (:mod:`callflow.after_bridge`)."""

    def bridge(self, ctx: NodeContext) -> Bridge | None:
        """The bridge to try (None: nothing to ring, continue to ``_``)."""
        raise NotImplementedError

    def repeats(self, ctx: NodeContext) -> int:
        return 1

    def steps(self, ctx: NodeContext) -> Steps:
        return (yield from self.ring(ctx, self.bridge(ctx)))

    def ring(self, ctx: NodeContext, bridge: Bridge | None) -> Steps:
        """Ring ``bridge`` ``repeats`` times; the node's outcome."""
        if bridge is None or not bridge.targets:
            ctx.note("nothing to ring")
            return Continue()
        after = after_bridge.chosen(ctx)
        for _ in range(max(self.repeats(ctx), 1)):
            result = step_bridge_result((yield bridge))
            ctx.note(result.describe())
            if result.answered:
                return (yield from after_bridge.after_bridge_steps(ctx, after))
            if result.status == CALLER_GONE:
                return Stop()
            child = failure_child(result, ctx)
            if child is not None:
                return Continue(child)
        return Continue()
