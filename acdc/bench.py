"""``kazoo-tasks bench acdc``: callers dial one queue at a rate, emulated agents answer
(after 0-3 s, a tenth of the phones refuse every call), through the real pipeline (the
emulator, ecallmgr, the broker, Redis, Celery workers). Prints one JSON line:

* ``callers``, ``connected`` (talked to exactly one agent), ``abandoned`` (left counted:
  hangup, timeout, exit key, no agents), ``refused`` (the queue did not let them in),
  ``lost`` (none of these: must be 0), ``double_booked`` (an agent offered a caller while
  it had one, from the event stream: must be 0), ``multi_connected`` (a caller that
  reached two agents: must be 0);
* ``offer_ms_p50`` / ``offer_ms_p99``: from the moment a caller could be offered (it
  entered, or an agent became ready for it, whichever is later) to the switch creating
  the agent's leg;
* ``calls_per_s``: connected callers per second, first caller to last hang-up;
* ``tasks_per_call``: Celery tasks the worker ran per caller (``tasks_by_name``: by task),
  read from its ``/metrics`` (one worker only).

Agents talk ``--talk`` emulated seconds and have ``--wrapup`` seconds of wrap-up.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import click

from acdc.audit import double_bookings, read_events
from acdc.queue import Queues
from acdc.service import act
from kazoo_tasks import services
from kazoo_tasks.bench.metrics import ms, percentile
from kazoo_tasks.bench.skeleton import Scratch, StackOptions, place_and_wait, to_line
from kazoo_tasks.bench.task_counts import task_counts, tasks_per_call
from kazoo_tasks.config import Settings, get_settings
from kazoo_tasks.docstore import DocumentStore, account_db
from kazoo_tasks.esl.emulator import Call
from kazoo_tasks.keys import registration_key
from kazoo_tasks.progress import say
from kazoo_tasks.testing import Stack
from kazoo_tasks.testing.services import free_port

NUMBER = "4000"
REALM = "bench.acdc.example.net"


@dataclass(frozen=True)
class Options(StackOptions):
    drain_timeout: float = 120.0
    callers: int = 200
    agents: int = 20
    rate: float = 20.0
    talk: float = 10.0
    wrapup: int = 0
    strategy: str = "round_robin"


def seed(store: DocumentStore, options: Options) -> tuple[str, str, list[tuple[str, str]]]:
    """An account with a realm, a queue, a callflow into it and the agents (users with a
    phone each): (account id, queue id, [(agent id, SIP user)])."""
    account_id = uuid.uuid4().hex
    db = account_db(account_id)
    store.ensure_db(db)
    store.save(db, {"_id": account_id, "pvt_type": "account", "name": "bench", "realm": REALM})
    queue = store.save(
        db,
        {
            "pvt_type": "queue",
            "name": "bench",
            "strategy": options.strategy,
            "agent_ring_timeout": 5,
            "agent_wrapup_time": options.wrapup,
        },
    )
    flow = {"module": "acdc_member", "data": {"id": queue["_id"]}, "children": {}}
    store.save(db, {"pvt_type": "callflow", "numbers": [NUMBER], "flow": flow, "name": "queue"})
    agents = []
    for n in range(options.agents):
        user = store.save(
            db,
            {"pvt_type": "user", "first_name": f"Agent{n}", "queues": [queue["_id"]]},
        )
        sip_user = f"agent{n}"
        store.save(
            db,
            {
                "pvt_type": "device",
                "name": f"{sip_user} desk",
                "sip": {"username": sip_user},
                "owner_id": user["_id"],
            },
        )
        agents.append((user["_id"], sip_user))
    return account_id, queue["_id"], agents


def run(base: Settings, options: Options) -> dict[str, Any]:
    """One run in a namespace and data directory of its own; returns the result line."""
    scratch = Scratch("bench acdc", "bench", options.keep)
    port = free_port()
    metrics = f"http://127.0.0.1:{port}/metrics"  # the worker's task counters
    settings = scratch.settings(base, worker_metrics_port=port)
    say(f"bench acdc: namespace {settings.namespace}, data and logs in {scratch.dir}")
    store = services.document_store(settings)
    account_id, queue_id, agents = seed(store, options)
    stack = Stack(
        settings,
        scratch.dir / "logs",
        workers=options.workers,
        concurrency=options.worker_concurrency,
        time_scale=options.time_scale,
    )
    try:
        stack.start()
        client = services.redis_client(stack.settings)
        queues = Queues(client, settings.namespace, account_id)
        for n, (agent_id, sip_user) in enumerate(agents):
            stack.emulator.register(sip_user, realm=REALM)
            far_end: dict[str, Any] = {"answer_after": (0.0, 3.0), "hangup_after": options.talk}
            if n % 10 == 9:
                far_end = {"reject": 486}
            stack.emulator.set_endpoint(f"sofia/*/{sip_user}@*", **far_end)
            act(queues, agent_id, "login", store.get(account_db(account_id), agent_id))
        _wait_registered(client, settings.namespace, [u for _, u in agents])
        before = task_counts(metrics)
        calls, elapsed = _place(stack, account_id, options)
        say("bench acdc: every caller hung up; reading the counters")
        time.sleep(1.0)  # the last member_ended tasks
        line = summarize(options, calls, elapsed, queues, queue_id)
        return {**line, **tasks_per_call(before, task_counts(metrics), len(calls))}
    finally:
        say("bench acdc: stopping the stack and removing what the run left")
        stack.stop()
        store.delete_db(account_db(account_id))
        store.close()
        scratch.close()


def _wait_registered(client: Any, namespace: str, users: list[str]) -> None:
    deadline = time.monotonic() + 30
    keys = [registration_key(namespace, REALM, u) for u in users]
    while sum(client.exists(k) for k in keys) < len(keys):
        if time.monotonic() > deadline:
            raise TimeoutError("the agents' phones did not register")
        time.sleep(0.05)


def _place(stack: Stack, account_id: str, options: Options) -> tuple[list[Call], float]:
    calls = place_and_wait(
        stack,
        options.callers,
        rate=options.rate,
        destination=NUMBER,
        variables={"ecallmgr_Account-ID": account_id},
        timeout=options.drain_timeout,
        label="bench acdc",
    )
    ended = [c.hungup_at for c in calls if c.hungup_at is not None]
    first = min(c.created_at for c in calls)
    return calls, (max(ended) - first) if ended else 0.0


def summarize(
    options: Options, calls: list[Call], elapsed: float, queues: Queues, queue_id: str
) -> dict[str, Any]:
    """The result line from the callers, the queue's counters and the event stream."""
    stats = queues.stats(queue_id)
    events = read_events(queues.client, queues.namespace, queues.account_id)
    answered = [[leg for leg in call.legs if leg.answered_at is not None] for call in calls]
    connected = sum(1 for legs in answered if len(legs) == 1)
    abandoned = int(stats.get("abandoned", 0))
    refused = int(stats.get("refused_full", 0) + stats.get("refused_empty", 0))
    return {
        "callers": len(calls),
        "agents": options.agents,
        "connected": connected,
        "abandoned": abandoned,
        "refused": refused,
        "lost": len(calls) - connected - abandoned - refused,
        "double_booked": len(double_bookings(events)),
        "multi_connected": sum(1 for legs in answered if len(legs) > 1),
        "handled_counted": int(stats.get("handled", 0)),
        "still_waiting": int(stats.get("waiting", 0)),
        "offer_ms_p50": ms(percentile(_offer_delays(calls, events), 50)),
        "offer_ms_p99": ms(percentile(_offer_delays(calls, events), 99)),
        "calls_per_s": round(connected / elapsed, 2) if elapsed else None,
        "rate": options.rate,
        "time_scale": options.time_scale,
        "workers": options.workers,
        "worker_concurrency": options.worker_concurrency,
    }


def _offer_delays(calls: list[Call], events: list[dict[str, str]]) -> list[float]:
    """For each offer: its agent's leg creation minus the time the offer became possible
    (the caller entered, or the agent was last ready, whichever is later)."""
    wall = time.time() - time.perf_counter()  # perf_counter (emulator) -> Unix time
    entered: dict[str, float] = {}
    ready_since: dict[str, float] = {}
    offers: dict[str, list[float]] = {}
    for entry in events:
        at = float(entry["at"])
        if entry["event"] == "enter":
            entered[entry["call"]] = at
        elif entry.get("agent") and entry.get("to") == "ready":
            ready_since[entry["agent"]] = at
        elif entry["event"] == "offer":
            eligible = max(entered.get(entry["call"], at), ready_since.get(entry["agent"], 0.0))
            offers.setdefault(entry["call"], []).append(eligible)
    delays: list[float] = []
    for call in calls:
        for eligible, leg in zip(offers.get(call.uuid, []), call.legs, strict=False):
            delays.append(max(leg.created_at + wall - eligible, 0.0))
    return delays


@click.command("acdc")
@click.option("--callers", default=200, show_default=True, help="Callers placed.")
@click.option("--agents", default=20, show_default=True, help="Agents (one phone each).")
@click.option("--rate", default=20.0, show_default=True, help="Callers placed per second.")
@click.option("--talk", default=10.0, show_default=True, help="Emulated seconds of talk.")
@click.option("--wrapup", default=0, show_default=True, help="The queue's agent_wrapup_time.")
@click.option(
    "--strategy",
    type=click.Choice(["round_robin", "most_idle", "ring_all"]),
    default="round_robin",
    show_default=True,
)
@click.option("--time-scale", default=0.05, show_default=True, help="The emulator's clock.")
@click.option("--workers", default=1, show_default=True, help="Worker processes.")
@click.option("--worker-concurrency", "-c", default=2, show_default=True, help="Pool size.")
@click.option("--drain-timeout", default=120.0, show_default=True, help="Seconds to wait.")
@click.option("--keep", is_flag=True, help="Keep the data directory (logs) of the run.")
def command(**values: Any) -> None:
    """Callers into one queue, emulated agents answering; one JSON line on stdout."""
    click.echo(to_line(run(get_settings(), Options(**values))))
