"""``park``: hold a call in a numbered slot until someone retrieves it (Kazoo's cf_park).

``park`` puts the call in its slot (``slot``, else the call's capture group, else the
lowest free slot from 100), tells the caller the slot number and plays hold music. When
the call was parked by the person it was talking to (the device of its last answered B
leg), that person is rung back every ``ringback_timeout`` ms for ``callback_timeout`` ms;
no answer: the child named by the slot number, else back to the slot. ``retrieve``
connects the caller to the call in the slot (``uuid_bridge``); an empty slot goes on to
``_``. ``auto`` retrieves when the slot holds a call and parks otherwise.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.legs import BridgeOptions, bridge_result, endpoint_reader, send_bridge
from callflow.module import CallflowModule, ModuleData
from callflow.outcomes import Continue, Outcome, Stop, Wait
from callflow.parking import ParkingLot
from kazoo_tasks.events import CallEvent

HOLD_MUSIC = "local_stream://moh"
DEFAULT_RINGBACK_MS = 120_000
DEFAULT_CALLBACK_MS = 30_000


class SlotSchema(ModuleData):
    ringback_timeout = fields.Integer(validate=validate.Range(min=1000))
    callback_timeout = fields.Integer(validate=validate.Range(min=1000))
    presence_id = fields.String()
    presence_type = fields.String()


class ParkSchema(ModuleData):
    """Kazoo's callflows.park data (presence keys accepted, not used)."""

    action = fields.String(
        load_default="park", validate=validate.OneOf(["park", "direct_park", "retrieve", "auto"])
    )
    slot = fields.String(validate=validate.Regexp(r"^[0-9]{1,8}$"))
    slots = fields.Dict(keys=fields.String(), values=fields.Nested(SlotSchema), load_default=dict)
    default_ringback_timeout = fields.Integer(validate=validate.Range(min=1000))
    default_callback_timeout = fields.Integer(validate=validate.Range(min=1000))
    max_slot_number = fields.Integer(validate=validate.Range(min=1))
    custom_presence_id = fields.Boolean()
    default_presence_type = fields.String()
    presence_id = fields.String()


class Park(CallflowModule):
    """Parks, rings back the parker, retrieves (see the module documentation)."""

    data_schema = ParkSchema

    def start(self, ctx: NodeContext) -> Outcome:
        lot = ParkingLot(ctx.documents(), str(ctx.call["account_id"]), ctx.call_is_up)
        number = ctx.data.get("slot") or _digits(ctx.call.get("capture_group"))
        action = ctx.data["action"]
        if action in ("retrieve", "auto") and number:
            occupant = lot.occupant(number)
            if occupant is not None:
                return self._retrieve(ctx, lot, number, occupant.call_id)
            if action == "retrieve":
                ctx.note(f"slot {number} is empty")
                return Continue()
        return self._park(ctx, lot, number)

    # -- parking -----------------------------------------------------------------------

    def _park(self, ctx: NodeContext, lot: ParkingLot, number: str | None) -> Outcome:
        highest = ctx.data.get("max_slot_number")
        if number and highest is not None and int(number) > highest:
            ctx.note(f"slot {number} is beyond {highest}")
            return Continue()
        parker = _parker(ctx)
        if number:
            if not lot.take(number, ctx.call["call_id"], parker):
                ctx.note(f"slot {number} is taken")
                return Continue()
        else:
            number = lot.take_free(ctx.call["call_id"], parker, highest)
            if number is None:
                ctx.note("no free parking slot")
                return Continue()
        ctx.state.update(slot=number, parker=parker, phase="parked")
        ctx.note(f"parked in slot {number}" + (f", parker {parker}" if parker else ""))
        if not ctx.call["answered"]:
            ctx.execute("answer")
        ctx.execute("say", f"en number pronounced {number}")
        self._hold(ctx)
        return Wait()

    def _hold(self, ctx: NodeContext) -> None:
        ctx.state["music"] = ctx.execute("endless_playback", HOLD_MUSIC)
        if ctx.state.get("parker"):
            ringback = self._slot_setting(ctx, "ringback_timeout", DEFAULT_RINGBACK_MS)
            ctx.state["timer"] = ctx.start_timer(ringback / 1000, "ringback")

    def _slot_setting(self, ctx: NodeContext, name: str, default: int) -> int:
        slot: dict[str, Any] = ctx.data["slots"].get(ctx.state["slot"]) or {}
        return int(slot.get(name) or ctx.data.get(f"default_{name}") or default)

    def on_event(self, ctx: NodeContext, event: CallEvent) -> Outcome:
        phase = ctx.state.get("phase")
        if phase in ("retrieving", "connected"):
            return Wait()  # bridged: the call ends when someone hangs up
        if event["name"] == "CHANNEL_BRIDGE" and phase != "ringing_back":  # a retriever took it
            if ctx.state.get("timer"):
                ctx.cancel_timer(ctx.state["timer"])
            ctx.state["phase"] = "connected"
            return Wait()
        if phase == "parked" and ctx.timer_fired(event) == "ringback":
            ctx.state["phase"] = "breaking"
            ctx.api("uuid_break")
            return Wait()
        done = ctx.completed(event)
        if phase == "breaking" and done == ctx.state.get("music"):
            return self._ring_parker(ctx)
        if phase == "ringing_back" and done == ctx.state.get("bridge"):
            return self._rung(ctx, event)
        return Wait()

    def _ring_parker(self, ctx: NodeContext) -> Outcome:
        callback = self._slot_setting(ctx, "callback_timeout", DEFAULT_CALLBACK_MS)
        legs = endpoint_reader(ctx).device(ctx.state["parker"])
        sent = send_bridge(ctx, legs, BridgeOptions(timeout=max(callback // 1000, 1)))
        if isinstance(sent, str):
            ctx.state.update(phase="ringing_back", bridge=sent)
            return Wait()
        ctx.note(f"parker unreachable: {sent.describe()}")
        return self._back_in_slot(ctx)

    def _rung(self, ctx: NodeContext, event: CallEvent) -> Outcome:
        result = bridge_result(event)
        ctx.note(f"ring-back {result.describe()}")
        if result.answered or result.status == "caller_gone":
            self._free(ctx)
            return Stop()
        if ctx.has_child(ctx.state["slot"]):
            self._free(ctx)
            return Continue(ctx.state["slot"])
        return self._back_in_slot(ctx)

    def _back_in_slot(self, ctx: NodeContext) -> Outcome:
        ctx.state["phase"] = "parked"
        self._hold(ctx)
        return Wait()

    def _free(self, ctx: NodeContext) -> None:
        lot = ParkingLot(ctx.documents(), str(ctx.call["account_id"]), ctx.call_is_up)
        lot.free(ctx.state["slot"], ctx.call["call_id"])

    # -- retrieving --------------------------------------------------------------------

    def _retrieve(self, ctx: NodeContext, lot: ParkingLot, number: str, parked: str) -> Outcome:
        if not ctx.call["answered"]:
            ctx.execute("answer")
        ctx.api("uuid_bridge", parked)
        lot.free(number, parked)
        ctx.state["phase"] = "retrieving"
        ctx.note(f"retrieved {parked} from slot {number}")
        return Wait()


def _digits(value: Any) -> str | None:
    text = str(value or "")
    return text if text.isdigit() else None


def _parker(ctx: NodeContext) -> str | None:
    """The device of the person the call last talked to (who parked it), if known."""
    leg = (ctx.call.get("legs") or {}).get(ctx.call.get("other_leg_call_id") or "") or {}
    return leg.get("device")
