"""After (re)connecting: end the controlled calls that no longer exist on the switch.

Events emitted while no connection was up are lost (FreeSWITCH does not replay them), and
a switch that restarted has dropped every channel. Each controlled call is checked with
``api uuid_exists``; a call the switch answers ``false`` for gets a synthetic
``CHANNEL_HANGUP_COMPLETE`` (``hangup_cause`` ``NETWORK_OUT_OF_ORDER``), so its state is
closed and its CDR written instead of waiting for a reaper. This also settles the
commands still queued for such calls: they run after the reconnect, FreeSWITCH answers
``-ERR``, and the node gets a ``COMMAND_ERROR`` for a call that is already over.
"""

from __future__ import annotations

import logging
import re
import time

from kazoo_tasks.commands import CALL_ID_PATTERN
from kazoo_tasks.events import synthetic_event
from workers.ecallmgr.connection import EslConnection
from workers.ecallmgr.controlled import ControlledCalls
from workers.ecallmgr.intake import HANGUP_COMPLETE, EventIntake
from workers.ecallmgr.stats import NodeStats

log = logging.getLogger(__name__)

VANISHED_CAUSE = "NETWORK_OUT_OF_ORDER"
_CALL_ID = re.compile(CALL_ID_PATTERN)


def reconcile(
    conn: EslConnection, controlled: ControlledCalls, intake: EventIntake, stats: NodeStats
) -> int:
    """Check every controlled call on ``conn``; returns how many had vanished."""
    vanished = 0
    for call_id in controlled:
        if not _CALL_ID.match(call_id):
            log.error("dropping a malformed controlled call id %.100r", call_id)
            controlled.discard(call_id)
            controlled.persist(removed=[call_id])
            continue
        stats.incr("reconcile.checked")
        reply = conn.send(f"api uuid_exists {call_id}")
        if reply.body.strip() != b"false":
            continue
        vanished += 1
        stats.incr("reconcile.vanished")
        controlled.discard(call_id)
        intake.submit(
            synthetic_event(
                HANGUP_COMPLETE,
                call_id,
                conn.node.name,
                "channel gone after an ESL reconnect",
                time.time(),
                hangup_cause=VANISHED_CAUSE,
            )
        )
    if vanished:
        log.warning(
            "node %s: %d controlled calls vanished while disconnected", conn.node.name, vanished
        )
    return vanished
