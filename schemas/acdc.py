"""ACDc's live views as the API shows them (agents' states, counters, a queue's callers),
built from Redis, never stored; and the body of an agent status change."""

from __future__ import annotations

from marshmallow import Schema, fields

from acdc.agent import (
    ANSWERED,
    LOGGED_OUT,
    OUTBOUND,
    PAUSED,
    READY,
    RINGING,
    WRAPUP,
)
from acdc.service import ACTIONS
from schemas.base import DocumentSchema, boolean, integer, number, string, string_list

STATES = (LOGGED_OUT, READY, RINGING, ANSWERED, WRAPUP, PAUSED, OUTBOUND)


class AgentStatusSchema(Schema):
    agent_id = string("The agent (a user id)")
    status = string("The agent's state", enum=STATES)
    since = integer("When it entered that state, Unix seconds")
    reason = string("Why it is paused (e.g. 'missed 3 calls in a row')")
    until = integer("When its pause or wrap-up ends, Unix seconds")
    call_id = string("The caller it is offered or talks to")
    queue_id = string("The queue of that caller")
    logout_pending = boolean("Logged out during a call: out when the call ends")
    queues = string_list("Queues it takes calls from")
    skills = string_list("The skills it logged in with (its user's acdc_skills)")


class StatusChangeSchema(Schema):
    """``POST agents/{id}/status`` data."""

    status = string("What the agent does", enum=ACTIONS, required=True)
    timeout = integer("Pause: seconds (0: until resumed; default 600)", minimum=0)
    reason = string("Pause: why", max_length=128)
    presence_id = string("Accepted for Kazoo compatibility (no presence is sent)")
    presence_state = string("Accepted for Kazoo compatibility")


class QueueStatusChangeSchema(Schema):
    """``POST agents/{id}/queue_status`` data (Kazoo's)."""

    action = string("Join or leave the queue", enum=("login", "logout"), required=True)
    queue_id = string("The queue", required=True, pattern="^[0-9a-f]{32}$")


class AgentStatsSchema(Schema):
    agent_id = string("The agent")
    handled = integer("Calls answered", minimum=0)
    missed = integer("Offers not answered", minimum=0)
    seconds_ready = number("Seconds ready")
    seconds_ringing = number("Seconds ringing")
    seconds_answered = number("Seconds talking")
    seconds_wrapup = number("Seconds in wrap-up")
    seconds_paused = number("Seconds paused")
    seconds_outbound = number("Seconds on their own calls")


class CallerSchema(Schema):
    call_id = string("The caller's call")
    state = string("waiting or offered", enum=("waiting", "offered"))
    priority = integer("Its priority")
    waiting_s = integer("Seconds in the queue", minimum=0)


class QueueStatsSchema(Schema):
    queue_id = string("The queue")
    entered = integer("Callers who entered", minimum=0)
    handled = integer("Callers an agent answered", minimum=0)
    abandoned = integer("Callers who left without an agent", minimum=0)
    abandoned_hangup = integer("... by hanging up", minimum=0)
    abandoned_timeout = integer("... at connection_timeout", minimum=0)
    abandoned_exit_key = integer("... by the exit key", minimum=0)
    abandoned_no_agents = integer("... when the last agent left", minimum=0)
    refused_full = integer("Callers refused: max_queue_size", minimum=0)
    refused_empty = integer("Callers refused: no agent, enter_when_empty false", minimum=0)
    missed = integer("Offers nobody answered", minimum=0)
    offers = integer("Offers made", minimum=0)
    waiting = integer("Callers in the queue now (waiting + handled + abandoned = entered)")
    average_wait_s = number("Average wait of the handled callers, seconds")
    average_talk_s = number("Average talk time of the handled callers who hung up, seconds")
    sla_seconds = number("The service-level threshold (KAZOO_ACDC_SLA_SECONDS), seconds")
    answered_last_day = integer("Callers an agent answered in the last 24 hours", minimum=0)
    answered_within_sla = integer("... of them after waiting at most sla_seconds", minimum=0)
    service_level_pct = number("answered_within_sla / answered_last_day, percent")
    callers = fields.List(
        fields.Nested(CallerSchema),
        metadata={"description": "Callers in the queue, next first (per-queue stats only)"},
    )
    agents = string_list("Agents logged into the queue (per-queue stats only)")


class AcdcCallStatSchema(DocumentSchema):
    """One caller's time in one queue (Kazoo's acdc_call_stat), stored when it left."""

    pvt_type = "acdc_call_stat"

    call_id = string("The caller's call", required=True)
    queue_id = string("The queue", required=True)
    agent_id = string("The agent who answered (handled)")
    status = string("How it ended", enum=("handled", "abandoned"), required=True)
    abandoned_reason = string(
        "Why it left (abandoned)", enum=("hangup", "timeout", "exit_key", "no_agents")
    )
    entered_timestamp = integer("When it entered the queue, gregorian seconds")
    handled_timestamp = integer("When an agent answered, gregorian seconds")
    processed_timestamp = integer("When it left the queue, gregorian seconds")
    wait_time = integer("Seconds it waited", minimum=0)
    talk_time = integer("Seconds it talked to the agent", minimum=0)
    misses = integer("Offers of it nobody answered", minimum=0)
    caller_priority = integer("Its priority in the queue")
