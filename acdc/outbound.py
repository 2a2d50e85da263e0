"""An agent's own calls: a call from one of her phones, or to her, that no queue offered
her. While one is bridged she is ``outbound`` (busy: not offered callers), and when it
ends she is ``ready`` again (or logged out, if she asked meanwhile). Her state is never
overwritten: only a ``ready`` agent goes ``outbound``, and only the call that made her
``outbound`` brings her back (the change is fenced by ``outbound:<call-id>`` in her
``offer`` field, as an offer's events are by its id).

The call engine applies these in the step that sees the call bridged
(:func:`calls_started`) and the step that sees it end (:func:`calls_ended`): the events
of one call are applied in order, so the end never overtakes the start. A queue's own
bridge finds its agent ``ringing`` or ``answered`` and changes nothing. Both are one
Redis round trip for a call whose parties own no agent, none for a call without owners.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from acdc.agent import Agents
from acdc.keys import agents_key
from acdc.queue import Queues


def agents_among(client: Any, namespace: str, account_id: str, owners: Iterable[str]) -> list[str]:
    """Which of ``owners`` (user ids) are agents of the account with a live state."""
    ids = sorted({o for o in owners if o})
    if not ids:
        return []
    found = client.smismember(agents_key(namespace, account_id), ids)
    return [agent for agent, known in zip(ids, found, strict=True) if known]


def fence(call_id: str) -> str:
    """What an agent's ``offer`` holds while ``call_id`` makes her ``outbound``."""
    return f"outbound:{call_id}"


def calls_started(
    client: Any, namespace: str, account_id: str, owners: Iterable[str], call_id: str
) -> list[str]:
    """Call ``call_id`` is bridged with these ``owners`` on it: those who are ``ready``
    agents go ``outbound`` (any other state stays as it is: ringing or talking for a
    queue, paused, logged out...). Returns the agents who did."""
    agents = Agents(client, namespace, account_id)
    found = agents_among(client, namespace, account_id, owners)
    return [a for a in found if agents.apply(a, "outbound_start", call=call_id).ok]


def calls_ended(
    client: Any, namespace: str, account_id: str, agent_ids: Iterable[str], call_id: str
) -> list[str]:
    """Call ``call_id`` that made ``agent_ids`` ``outbound`` ended: each is ``ready``
    again (or logged out, if she asked meanwhile), only if that call made her busy.
    Returns the queues to offer again."""
    queues = Queues(client, namespace, account_id)
    again: set[str] = set()
    for agent_id in agent_ids:
        if queues.agents.apply(agent_id, "outbound_end", offer=fence(call_id)).ok:
            again.update(queues.queues_of(agent_id))
    return sorted(again)
