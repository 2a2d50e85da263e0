"""The written mark: the switch itself remembers which command ecallmgr wrote last.

Each ``sendmsg execute`` goes out in one write together with
``api global_setvar kazoo_tasks_<ns>_written=<owner>|<call-id>|<command-id>``.
FreeSWITCH reads a connection's commands one after the other in one thread: it queues the
``sendmsg`` on the channel, then sets the variable. So when the variable names a command,
its ``sendmsg`` reached the switch; and since one ecallmgr writes a node's commands one at
a time (claim, write, reply, done), a command its ecallmgr claimed *after* the one the
mark names was never written.

That settles the one command whose fate was unknown after an ecallmgr died (it had
claimed the command, :mod:`.claims`, and never saw the switch's reply). The ecallmgr that
takes the node over reads the mark (:func:`read_mark`) before it writes anything, then
(:func:`settle`):

* the command the mark names, still claimed by the mark's owner: it reached the switch,
  so its claim is marked done (its copy coming back from the queue is skipped; its
  completion comes from the switch, or from the re-sync probe when it finished in the gap);
* any other ``execute`` command still claimed by the mark's owner and listed as running:
  it never reached the switch, so its claim and running entry are dropped, and its copy
  coming back from the queue is written like a new command — once.

Claims of any other owner (an older takeover, a switch restarted since: the mark is gone)
keep the old rule: outcome unknown, not written again (docs/ecallmgr.md).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from workers.ecallmgr.claims import CommandClaims
from workers.ecallmgr.connection import EslConnection
from workers.ecallmgr.running import PROBE_PREFIX, RunningCommands, entry_id

log = logging.getLogger(__name__)

SEPARATOR = "|"


def mark_variable(namespace: str) -> str:
    """The switch's global variable that holds the mark of ``namespace``'s ecallmgr."""
    return "kazoo_tasks_" + re.sub(r"[^A-Za-z0-9_]", "_", namespace) + "_written"


def mark_frame(namespace: str, owner: str, call_id: str, command_id: str) -> bytes:
    """The ``api global_setvar`` frame written right behind a command's ``sendmsg``."""
    value = SEPARATOR.join((owner, call_id, command_id))
    return f"api global_setvar {mark_variable(namespace)}={value}\n\n".encode()


@dataclass(frozen=True)
class Mark:
    """The last command an ecallmgr wrote to the switch."""

    owner: str
    call_id: str
    command_id: str


def read_mark(conn: EslConnection, namespace: str) -> Mark | None:
    """The mark the switch holds (None: none, e.g. the switch restarted since)."""
    reply = conn.send(f"api global_getvar {mark_variable(namespace)}")
    parts = reply.body.decode("utf-8", "replace").strip().rsplit(SEPARATOR, 2)
    if len(parts) != 3 or not all(parts):
        return None
    return Mark(*parts)


@dataclass
class Settled:
    """What :func:`settle` decided: commands that reached the switch, and commands that
    never did (to be written when their copy comes back from the queue)."""

    reached: list[str]
    unwritten: list[str]


def settle(
    mark: Mark | None, calls: list[str], claims: CommandClaims, running: RunningCommands
) -> Settled:
    """Settle the claims the mark's owner left unanswered on ``calls`` (see the module
    docstring); ``running`` and the claims are updated in memory and in Redis."""
    settled = Settled([], [])
    if mark is None:
        return settled
    if claims.holder(mark.call_id, mark.command_id) == mark.owner:
        claims.complete(mark.call_id, mark.command_id)
        settled.reached.append(mark.command_id)
    for call_id in calls:
        for entry in running.pending(call_id):
            command_id = entry_id(entry)
            if command_id == mark.command_id or command_id.startswith(PROBE_PREFIX):
                continue
            if claims.release(call_id, command_id, mark.owner, entry):
                running.remove(call_id, entry)
                settled.unwritten.append(command_id)
    if settled.reached or settled.unwritten:
        log.warning(
            "ecallmgr %s stopped with a command in flight; reached the switch: %s;"
            " never written (written when its copy comes back from the queue): %s",
            mark.owner,
            ", ".join(settled.reached) or "none",
            ", ".join(settled.unwritten) or "none",
        )
    return settled
