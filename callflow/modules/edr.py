"""``edr``: record an event data record of the call here (Kazoo's cf_edr), then go on.

Kazoo publishes the record (``kz_edr:event``: app ``callflow``, severity ``ok``,
verbosity ``info``) to its EDR bus, whose backends store or forward it. We have no EDR
bus: the honest minimal backend is one structured log line of the worker, on logger
``callflow.edr``, whose message is the record as JSON with Kazoo's fields (``id``,
``account_id``, ``app_name``, ``app_version``, ``node``, ``severity``, ``verbosity``,
``timestamp``, ``gregorian_time``, ``body``). ``body`` holds what Kazoo's holds: the
call's ``Caller-ID-Name``, ``Caller-ID-Number``, ``Account-ID``, ``Owner-ID``,
``Authorizing-ID``, ``Authorizing-Type``, ``Other-Leg-Call-ID`` (those the call has),
``Callflow-ID`` and ``Custom-Data`` (the node's data as written). Kazoo's ``account_tree``
and ``Fetch-ID`` / ``Bridge-ID`` are not there. The trace notes the record's id.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import socket
import uuid
from datetime import UTC, datetime
from typing import Any

from callflow.context import NodeContext
from callflow.module import CallflowModule
from callflow.outcomes import Continue, Outcome
from kazoo_tasks.clock import to_gregorian

log = logging.getLogger("callflow.edr")

CCV_TAGS = ("Owner-ID", "Authorizing-ID", "Authorizing-Type")
"""The custom channel variables Kazoo's record carries."""


def edr_body(ctx: NodeContext) -> dict[str, Any]:
    """The ``body`` Kazoo's cf_edr builds from the call and the node's data."""
    call, ccvs = ctx.call, ctx.call["ccvs"]
    tags: dict[str, Any] = {
        "Caller-ID-Name": call.get("caller_id_name"),
        "Caller-ID-Number": call.get("caller_id_number"),
        "Account-ID": call.get("account_id"),
        **{name: ccvs.get(name) for name in CCV_TAGS},
        "Other-Leg-Call-ID": call.get("other_leg_call_id"),
        "Custom-Data": dict(ctx.node.get("data") or {}),
        "Callflow-ID": ctx.path.split(":", 1)[0],
    }
    return {key: value for key, value in tags.items() if value not in (None, "")}


def edr_event(ctx: NodeContext) -> dict[str, Any]:
    """The event data record of this node (Kazoo's ``#edr_event``)."""
    now = ctx.now()
    return {
        "id": uuid.uuid4().hex,
        "account_id": ctx.call.get("account_id"),
        "app_name": "callflow",
        "app_version": importlib.metadata.version("kazoo-tasks"),
        "node": socket.gethostname(),
        "severity": "ok",
        "verbosity": "info",
        "timestamp": datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds"),
        "gregorian_time": to_gregorian(now),
        "body": edr_body(ctx),
    }


class Edr(CallflowModule):
    """Logs the record, then continues to ``_``."""

    def start(self, ctx: NodeContext) -> Outcome:
        event = edr_event(ctx)
        log.info(json.dumps(event, ensure_ascii=False, default=str))
        ctx.note(f"edr {event['id']}")
        return Continue()
