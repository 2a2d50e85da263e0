"""A CDR's trace as a ladder (``GET /v2/accounts/{id}/cdrs/{cdr_id}/ladder``): the lanes
of a call (the switch, ecallmgr, the callflow engine, each B leg) and one rung per trace
entry, an arrow from one lane to another (or to itself) with a readable line. Built from
the stored CDR, never stored; :mod:`api.cdrs.ladder` fills it."""

from __future__ import annotations

from marshmallow import Schema, fields

from schemas.base import integer, nested, string, string_list


class RungSchema(Schema):
    at_ms = integer("Milliseconds since the trace's first entry", minimum=0)
    source = string("Lane the arrow leaves")
    target = string("Lane the arrow reaches (the same lane: a step inside it)")
    what = string("The event, or the engine's step when no event caused it")
    step = string("The engine's step (route, start, resume, leg, end, note...)")
    path = string("Callflow node path: <callflow id>:<child keys>")
    module = string("Callflow module of the node")
    outcome = string("What the step led to (continue:_, wait, hangup:..., a route...)")
    note = string("Why, when the engine noted it (an error, a limit, a re-sync)")
    seq = integer("FreeSWITCH Event-Sequence of the event")
    line = string("The rung as one text line")


class LadderSchema(Schema):
    cdr_id = string("The CDR's id")
    call_id = string("Call-ID of the call")
    lanes = string_list("Lanes, left to right: freeswitch, ecallmgr, callflow, leg:<call-id>")
    rungs = fields.List(nested(RungSchema), metadata={"description": "Trace entries in order"})
    trace_dropped = integer("Older trace entries the call dropped (200 are kept)", minimum=0)
