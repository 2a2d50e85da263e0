"""A CDR's trace as a ladder: which lane each entry comes from and goes to, with a line a
person can read down (the shape is :class:`schemas.cdr_ladder.LadderSchema`).

Lanes: ``freeswitch`` (the A leg's events), ``ecallmgr`` (events it made or marked:
refused commands, what an ESL re-sync found), ``callflow`` (the engine: routing, each
node's start and resumption, notes, the end) and ``leg:<call-id>`` for each B leg the
call created. An entry caused by an event is an arrow from the event's lane to
``callflow``; the engine's own steps stay in its lane, but for the hangup it sends,
an arrow back to ``freeswitch``. The first routing of a call has no event in the trace:
a record is only made, and routed, on the switch's CHANNEL_PARK, so the ladder names it.
"""

from __future__ import annotations

from typing import Any

from schemas.cdr_ladder import LadderSchema

SWITCH, ECALLMGR, ENGINE = "freeswitch", "ecallmgr", "callflow"
PARK = "CHANNEL_PARK"


def _lanes_of(entry: dict[str, Any]) -> tuple[str, str]:
    step = entry.get("step")
    if step == "leg" and entry.get("leg"):
        return f"leg:{entry['leg']}", ENGINE
    if step == "ecallmgr":
        return ECALLMGR, ENGINE
    if entry.get("event") and step != "timer":
        return SWITCH, ENGINE
    if step == "end" and str(entry.get("outcome", "")).startswith("hangup:"):
        return ENGINE, SWITCH
    return ENGINE, ENGINE


def _line(rung: dict[str, Any]) -> str:
    arrow = (
        f"{rung['source']} ─▶ {rung['target']}"
        if rung["source"] != rung["target"]
        else f"{rung['source']} ⟲"
    )
    where = " @ ".join(str(rung[k]) for k in ("module", "path") if rung.get(k))
    what = str(rung["what"])
    if rung.get("step") and rung["step"] != what:
        what += f" ({rung['step']})"
    parts = [f"{rung['at_ms']:>7} ms", arrow, what]
    parts += [f"[{where}]"] if where else []
    parts += [f"→ {rung['outcome']}"] if rung.get("outcome") else []
    parts += [f"({rung['note']})"] if rung.get("note") else []
    return "  ".join(parts)


def ladder(cdr: dict[str, Any]) -> dict[str, Any]:
    """The ladder of ``cdr``'s trace."""
    trace = [entry for entry in cdr.get("trace") or [] if isinstance(entry, dict)]
    first = min((float(e["at"]) for e in trace if "at" in e), default=0.0)
    rungs, lanes = [], [SWITCH, ENGINE]
    for entry in trace:
        source, target = _lanes_of(entry)
        for lane in (source, target):
            if lane not in lanes:
                lanes.insert(1 if lane == ECALLMGR else len(lanes), lane)
        what = entry.get("event") or entry.get("step") or "?"
        if what == "route":
            source, what = SWITCH, PARK
        rung = {
            "at_ms": max(round((float(entry.get("at", first)) - first) * 1000), 0),
            "source": source,
            "target": target,
            "what": what,
            "step": entry.get("step"),
            "path": entry.get("path") if entry.get("path") != "-" else None,
            "module": entry.get("module"),
            "outcome": entry.get("outcome"),
            "note": entry.get("note"),
            "seq": entry.get("seq"),
        }
        rung = {k: v for k, v in rung.items() if v not in (None, "")}
        rung["line"] = _line(rung)
        rungs.append(rung)
    return LadderSchema().dump(
        {
            "cdr_id": cdr.get("_id") or cdr.get("id"),
            "call_id": cdr.get("call_id"),
            "lanes": lanes,
            "rungs": rungs,
            "trace_dropped": int(cdr.get("trace_dropped") or 0),
        }
    )
