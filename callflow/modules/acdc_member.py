"""``acdc_member``: put the caller into an ACDc queue until an agent takes the call
(Kazoo's cf_acdc_member).

The caller enters the queue (``id``, with ``priority``) and hears the queue's music on
hold. A full queue (``max_queue_size``), or one without an available agent when
``enter_when_empty`` is false, sends the call on to ``_`` at once. Each offer from the
distributor (:mod:`acdc.distributor`) arrives as an ``ACDC_OFFER`` event: the music is
broken and the bridge to the offered agents' devices, queued behind it, rings them for
``agent_ring_timeout`` seconds; the agent who answers is connected (the flow stops
there, as after any bridge); an offer nobody answers counts a miss for its agents and
the caller waits again, in its place. The caller leaves by the ``caller_exit_key`` or
when ``connection_timeout`` passes (to ``_`` in both cases) or by hanging up; each way is
counted in the queue's stats. When the last available agent leaves a queue whose
``enter_when_empty`` is false, its waiting callers go on to ``_`` at once
(``ACDC_EJECT``). Whatever happens to this node, the end of the call takes the caller
out of the queue (``kazoo.acdc.member_ended``).
"""

from __future__ import annotations

from dataclasses import asdict

from marshmallow import fields

from acdc.announcements import DEFAULT_MEDIA, Announcements, Part, script
from acdc.distributor import CONNECTED, EJECT_EVENT, FAILED, OFFER_EVENT
from acdc.queue import ALREADY, ENTERED, QueueConfig
from acdc.skills import REQUIRED_SKILLS_KVS, valid_skill
from acdc.tasks import DISTRIBUTE_TASK, MEMBER_ENDED_TASK, MEMBER_TRANSFERRED_TASK
from callflow.acdc import center, skill_list
from callflow.context import NodeContext
from callflow.endpoints import LegOptions
from callflow.legs import BridgeOptions, bridge_result, endpoint_reader, send_bridge
from callflow.module import CallflowModule, ModuleData
from callflow.outcomes import Continue, Outcome, Stop, Wait
from callflow.prompts import prompt
from kazoo_tasks.callstate.record import CCV_PREFIX
from kazoo_tasks.events import CallEvent

HOLD_MUSIC = "local_stream://moh"
KAZOO_PROMPTS = frozenset(DEFAULT_MEDIA.values())
"""Announcement media that name Kazoo's system prompts (not the account's media)."""
FIRST_VISIT = "first"
"""The ``visit`` of a caller's stay in a queue before any transfer (then: the transfer's
source, which names each transfer apart)."""


class AcdcMemberSchema(ModuleData):
    """Kazoo's callflows.acdc_member data, and ``required_skills`` (ours)."""

    id = fields.String(metadata={"description": "the queue"})
    priority = fields.Integer(load_default=0)
    required_skills = skill_list("skills an agent needs to be offered this caller")


class AcdcMember(CallflowModule):
    """Waits in the queue, rings offered agents, leaves (see the module documentation)."""

    data_schema = AcdcMemberSchema

    def start(self, ctx: NodeContext) -> Outcome:
        queue_id = ctx.data.get("id") or ""
        doc = ctx.document(queue_id) if queue_id else None
        if doc is None or doc.get("pvt_type") not in (None, "queue"):
            ctx.note(f"no queue {queue_id!r}")
            return Continue()
        config = QueueConfig.from_doc(doc)
        call = ctx.call
        visit = str(call.get("transfer_source") or FIRST_VISIT)
        self._end_earlier_stay(ctx, visit)
        needed = [*ctx.data["required_skills"], *ctx.kvs_fetch(REQUIRED_SKILLS_KVS, [])]
        entered = center(ctx).queues.enter(
            config, str(call["call_id"]), str(call["node"]), int(ctx.data["priority"]), visit,
            [s for s in needed if valid_skill(str(s))],
        )  # fmt: skip
        if entered not in (ENTERED, ALREADY):
            ctx.note(f"queue {queue_id} refused the caller: {entered}")
            return Continue()
        account = str(call["account_id"])
        ctx.at_call_end(MEMBER_ENDED_TASK, [account, queue_id, call["call_id"]])
        ctx.at_transfer(MEMBER_TRANSFERRED_TASK, [account, queue_id, call["call_id"], visit])
        ctx.state.update(
            queue=queue_id,
            ring_timeout=config.agent_ring_timeout,
            exit_key=config.caller_exit_key,
            moh=config.moh,
            announce=config.announce,
            announcements=asdict(config.announcements),
        )
        ctx.note(f"entered queue {queue_id}")
        if not call["answered"]:
            ctx.execute("answer")
        if not self._announce(ctx, music_on=False):
            self._hold(ctx)
        if config.announcements.enabled:
            ctx.start_timer(config.announcements.interval, "announce")
        if config.connection_timeout > 0:
            ctx.start_timer(config.connection_timeout, "connection_timeout")
        ctx.send_task(DISTRIBUTE_TASK, [account, [queue_id]])
        return Wait()

    def _end_earlier_stay(self, ctx: NodeContext, visit: str) -> None:
        """A caller transferred back into a queue: its earlier stay ends now (the
        ``member_transferred`` task may not have run yet; whichever runs second finds
        nothing to do)."""
        call_id = str(ctx.call["call_id"])
        earlier = center(ctx).queues.member(call_id)
        if earlier and earlier.get("visit", "") != visit:
            distributor = center(ctx)
            _, again = distributor.caller_left(earlier["queue"], call_id, "transfer")
            self._offer_again(ctx, again)

    # -- waiting --------------------------------------------------------------------------

    def _hold(self, ctx: NodeContext) -> None:
        music = HOLD_MUSIC
        if ctx.state.get("moh"):
            try:
                music = ctx.media(ctx.state["moh"])
            except (ValueError, LookupError):
                ctx.note(f"music {ctx.state['moh']} not found: the default plays")
        playing = ctx.execute("endless_playback", music)
        ctx.state.update(phase="waiting", playing=[playing], announcing=None)

    def _announce(self, ctx: NodeContext, music_on: bool = True) -> bool:
        """Tell the waiting caller its position and the estimated wait (the queue's
        ``announcements``), the music stopped meanwhile; the music starts again when the
        last prompt ends. False when there is nothing to say."""
        settings = Announcements(**ctx.state["announcements"])
        queue_id, call_id = ctx.state["queue"], str(ctx.call["call_id"])
        queues = center(ctx).queues
        wait = queues.average_wait(queue_id)
        parts = script(settings, queues.position(queue_id, call_id), wait, ctx.state.get("wait"))
        commands = [self._part(ctx, part) for part in parts]
        if not any(commands):
            return False
        if music_on:
            ctx.api("uuid_break")
        ids = [c for c in commands if c]
        ctx.state.update(phase="waiting", playing=ids, announcing=ids[-1], wait=wait)
        return True

    def _part(self, ctx: NodeContext, part: Part) -> str | None:
        """Send one part of an announcement (None: a prompt with nothing to play)."""
        if part.kind == "say":
            return ctx.execute("say", part.value)
        sound = prompt(part.value) if part.value in KAZOO_PROMPTS else self._media(ctx, part.value)
        return ctx.execute("playback", sound) if sound else None

    def _media(self, ctx: NodeContext, reference: str) -> str | None:
        try:
            return ctx.media(reference)
        except (ValueError, LookupError):
            ctx.note(f"media {reference} not found: not played")
            return None

    def _break(self, ctx: NodeContext) -> None:
        """Stop what the waiting caller hears (the rest of an announcement too)."""
        ctx.api("uuid_break", "all" if ctx.state.get("announcing") else "")
        ctx.state["announcing"] = None

    def on_event(self, ctx: NodeContext, event: CallEvent) -> Outcome:
        phase = ctx.state.get("phase")
        if ctx.timer_fired(event) == "announce":
            ctx.start_timer(ctx.state["announcements"]["interval"], "announce")
            if phase == "waiting" and not ctx.state.get("announcing"):
                self._announce(ctx)
            return Wait()
        if phase == "waiting":
            return self._waiting(ctx, event)
        if phase in ("ringing", "connected"):
            return self._ringing(ctx, event)
        if phase == "leaving" and ctx.completed(event) in ctx.state.get("playing", []):
            return Continue()
        return Wait()

    def _waiting(self, ctx: NodeContext, event: CallEvent) -> Outcome:
        headers = event.get("headers") or {}
        announcing = ctx.state.get("announcing")
        if announcing and ctx.completed(event) == announcing:
            self._hold(ctx)  # the announcement is over: music again
            return Wait()
        if event["name"] == OFFER_EVENT:
            offer_id = headers.get("ACDc-Offer-ID", "")
            if not center(ctx).accept(offer_id):
                ctx.note(f"offer {offer_id} no longer stands")
                return Wait()
            agents = [a for a in headers.get("ACDc-Agents", "").split(",") if a]
            ctx.state.update(offer=offer_id, agents=agents)
            self._break(ctx)  # the bridge, queued behind, starts at once
            if ctx.state.get("announce"):  # the queue's `announce`, before the agent
                sound = self._media(ctx, ctx.state["announce"])
                if sound:
                    ctx.execute("playback", sound)
            return self._ring(ctx)
        if event["name"] == EJECT_EVENT:
            return self._leave(ctx, "no_agents")
        if event["name"] == "DTMF" and event.get("dtmf_digit") == ctx.state["exit_key"]:
            return self._leave(ctx, "exit_key")
        if ctx.timer_fired(event) == "connection_timeout":
            return self._leave(ctx, "timeout")
        return Wait()

    def _leave(self, ctx: NodeContext, reason: str) -> Outcome:
        distributor = center(ctx)
        _, again = distributor.caller_left(ctx.state["queue"], str(ctx.call["call_id"]), reason)
        self._offer_again(ctx, again)
        ctx.note(f"left queue {ctx.state['queue']}: {reason}")
        phase, ctx.state["phase"] = ctx.state["phase"], "leaving"
        if phase != "waiting":  # no music to stop
            return Continue()
        self._break(ctx)
        return Wait()

    def _offer_again(self, ctx: NodeContext, queues: set[str]) -> None:
        if queues:
            ctx.send_task(DISTRIBUTE_TASK, [str(ctx.call["account_id"]), sorted(queues)])

    # -- ringing the agents -----------------------------------------------------------------

    def _ring(self, ctx: NodeContext) -> Outcome:
        reader = endpoint_reader(ctx)
        options = LegOptions(timeout=int(ctx.state["ring_timeout"]))
        legs = [leg for agent in ctx.state["agents"] for leg in reader.user(agent, options)]
        sent = send_bridge(ctx, legs, BridgeOptions(timeout=int(ctx.state["ring_timeout"])))
        if not isinstance(sent, str):
            ctx.note(f"agents unreachable: {sent.describe()}")
            return self._missed(ctx)
        ctx.state.update(phase="ringing", bridge=sent, legs={})
        return Wait()

    def _ringing(self, ctx: NodeContext, event: CallEvent) -> Outcome:
        headers = event.get("headers") or {}
        owner = headers.get(f"{CCV_PREFIX}Owner-ID")
        if event.get("leg_of") and owner:
            ctx.state["legs"][event["call_id"]] = owner
        if ctx.timer_fired(event) == "connection_timeout":
            ctx.state["timed_out"] = True  # leaves if this offer fails
        if event["name"] == "CHANNEL_BRIDGE" and ctx.state["phase"] == "ringing":
            self._connected(ctx, event.get("other_leg_call_id") or "")
            return Wait()
        if ctx.completed(event) != ctx.state.get("bridge"):
            return Wait()
        result = bridge_result(event)
        ctx.note(f"agents {','.join(ctx.state['agents'])}: {result.describe()}")
        if result.answered and ctx.state["phase"] == "ringing":
            self._connected(ctx, result.other_leg)
        if result.answered or result.status == "caller_gone":
            reason = "hangup"
            _, again = center(ctx).caller_left(ctx.state["queue"], str(ctx.call["call_id"]), reason)
            self._offer_again(ctx, again)
            return Stop()
        return self._missed(ctx)

    def _connected(self, ctx: NodeContext, other_leg: str) -> None:
        agents: list[str] = ctx.state["agents"]
        winner = ctx.state["legs"].get(other_leg) or (agents[0] if len(agents) == 1 else "")
        distributor = center(ctx)
        distributor.record(ctx.state["offer"], CONNECTED, winner)
        self._offer_again(ctx, distributor.settle(ctx.state["offer"]))
        ctx.state["phase"] = "connected"
        ctx.note(f"connected to agent {winner or '?'}")

    def _missed(self, ctx: NodeContext) -> Outcome:
        distributor = center(ctx)
        distributor.record(ctx.state["offer"], FAILED)
        self._offer_again(ctx, distributor.settle(ctx.state["offer"]) | {ctx.state["queue"]})
        if ctx.state.get("timed_out"):
            return self._leave(ctx, "timeout")
        self._hold(ctx)
        return Wait()
