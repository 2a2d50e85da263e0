"""Camp requests (Kazoo's ``camper`` app, onnet): a caller who found an extension busy
asks to be called back, and is, once the extension is free.

``camping_feature`` stores a :class:`CampRequest` here; when a call of the account ends
(or one of its legs hangs up), the navigator asks :func:`watched` whether a device it
freed is camped on, and if so sends :data:`CHECK_TASK`, which runs :func:`serve_freed`
off the call.

Redis, one Cluster slot per account (:func:`~kazoo_tasks.keys.camp_key`):

* ``req:<member>``: the request (JSON), expiring with its ``timeout``; ``<member>`` is
  ``<requester id>:<target id>``, so asking again for the same extension replaces the
  request, as Kazoo's camper keeps one per requester and target;
* ``device:<id>``: sorted set of the members camping on one device of the target, by
  the time they asked (first come, first served);
* ``claimed:<member>``: the request once a worker claimed it, until its originate is
  published.

When a device is freed, its first live request is served if none of the target's
devices is on a call (talking or ringing, :mod:`callflow.live_calls`): one script
*claims* it (renames ``req:`` to ``claimed:``, so only one worker does), the originate is
published, then the request is forgotten. A worker that dies between the claim and the
forget leaves ``claimed:``; the task redelivered finds it and publishes again: the
originate's command id and channel uuid are derived from the request (its camping call),
so ecallmgr's command claims write it to the switch once. Kazoo serves one requester per
device that frees (``queue:out``); so does this.

The originate (:func:`originate_command`) rings the requester's phones (its device, or
every device of its user) for :data:`RING_SECONDS` (Kazoo's ``RINGING_TIMEOUT``), showing
the camped extension as the caller; answered, the new channel runs the dialplan for that
extension and so parks, and the engine routes it like any call of the account: to the
target's callflow (Kazoo's camper originates with a ``transfer`` to the extension). If
the requester does not answer, nothing else happens: the request is gone.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from marshmallow import ValidationError

from callflow.endpoints import (
    DEFAULT_CONTEXT,
    CallContext,
    CallerId,
    EndpointReader,
    leg_variables,
    registrations_from,
)
from callflow.live_calls import DEVICE, calls_ringing, calls_with
from kazoo_tasks.cache import Cache
from kazoo_tasks.commands import validate_command
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore
from kazoo_tasks.keys import camp_key

log = logging.getLogger(__name__)

CHECK_TASK = "kazoo.call.camping_check"
"""The task that serves the camp requests on devices a call freed: ``[account, devices]``."""
RING_SECONDS = 30
"""How long the requester's phones ring (Kazoo camper's ``RINGING_TIMEOUT``)."""
CALLER_NAME = "Camper"
"""The caller-id name the requester sees (Kazoo: "Campered call"; no space here, as an
originate's arguments are split on spaces)."""
CLAIM_SECONDS = 300
"""How long a claimed request waits for its originate to be published (then it goes)."""
_NAMESPACE = uuid.UUID("0f5c7c1e-55b1-4a52-9c3e-8d3a41b7c2aa")

_ADD = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], 'NX', ARGV[3], ARGV[4])
  if redis.call('TTL', KEYS[i]) < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[i], ARGV[2]) end
end
"""
_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RENAME', KEYS[1], KEYS[2])
  redis.call('EXPIRE', KEYS[2], ARGV[1])
  return {'new', redis.call('GET', KEYS[2])}
end
local claimed = redis.call('GET', KEYS[2])
if claimed then return {'again', claimed} end
return false
"""
_FORGET = """
redis.call('DEL', KEYS[1], KEYS[2])
for i = 3, #KEYS do redis.call('ZREM', KEYS[i], ARGV[1]) end
"""


@dataclass(frozen=True)
class CampRequest:
    """One caller waiting for an extension to be free."""

    call_id: str
    """The camping call (the originate's ids derive from it)."""
    account_id: str
    realm: str
    node: str
    """The FreeSWITCH node the camping call was on (the originate goes there)."""
    requester_id: str
    requester_type: str
    """``device`` or ``user`` (Kazoo's authorizing type)."""
    number: str
    """The extension dialed after the code: what the answered originate is routed to."""
    target_type: str
    target_id: str
    devices: tuple[str, ...]
    """The target's devices: any of them freed may serve the request."""

    @property
    def member(self) -> str:
        return f"{self.requester_id}:{self.target_id}"

    @property
    def origination_uuid(self) -> str:
        """The uuid of the channel that calls the requester back."""
        return origination_uuid(self.call_id)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str) -> CampRequest:
        data = json.loads(raw)
        return cls(**{**data, "devices": tuple(data["devices"])})


def origination_uuid(call_id: str) -> str:
    """The channel uuid of the call back for the camping call ``call_id``."""
    return str(uuid.uuid5(_NAMESPACE, f"originate:{call_id}"))


class CampRequests:
    """The camp requests of every account, in Redis (module docstring)."""

    def __init__(self, client: Any, settings: Settings) -> None:
        self.client = client
        self.ns = settings.namespace
        self._add = client.register_script(_ADD)
        self._claim = client.register_script(_CLAIM)
        self._forget = client.register_script(_FORGET)

    def _key(self, account_id: str, part: str) -> str:
        return camp_key(self.ns, account_id, part)

    def _device_keys(self, account_id: str, devices: Iterable[str]) -> list[str]:
        return [self._key(account_id, f"device:{device}") for device in devices]

    def add(self, request: CampRequest, ttl: int) -> None:
        """Store ``request`` for ``ttl`` seconds (replacing the requester's earlier one
        for the same target, which keeps its place in line)."""
        keys = [self._key(request.account_id, f"req:{request.member}")]
        keys += self._device_keys(request.account_id, request.devices)
        args = [request.to_json(), max(int(ttl), 1), time.time(), request.member]
        self._add(keys=keys, args=args)

    def watched(self, account_id: str, devices: Iterable[str]) -> bool:
        """Whether anyone camps on one of ``devices`` (:func:`watched`)."""
        return watched(self.client, self.ns, account_id, devices)

    def waiting(self, account_id: str, device: str) -> list[str]:
        """The members camping on ``device``, first come first."""
        return list(self.client.zrange(self._key(account_id, f"device:{device}"), 0, -1))

    def peek(self, account_id: str, member: str) -> tuple[CampRequest | None, bool]:
        """Request ``member`` if it waits (else None), and whether it is claimed."""
        pipe = self.client.pipeline(transaction=False)
        pipe.get(self._key(account_id, f"req:{member}"))
        pipe.exists(self._key(account_id, f"claimed:{member}"))
        raw, claimed = pipe.execute()
        return (CampRequest.from_json(raw) if raw else None), bool(claimed)

    def claim(self, account_id: str, member: str) -> tuple[str, CampRequest] | None:
        """Take request ``member`` to serve it: ``("new", request)`` for the one worker
        that claims it, ``("again", request)`` while it is claimed but not yet forgotten
        (a redelivered task, or another worker at the same moment: publishing again is
        harmless), None when it expired or was served."""
        keys = [self._key(account_id, f"req:{member}"), self._key(account_id, f"claimed:{member}")]
        found = self._claim(keys=keys, args=[CLAIM_SECONDS])
        if not found:
            return None
        how, raw = found
        return str(how), CampRequest.from_json(raw)

    def forget(self, account_id: str, member: str, devices: Iterable[str]) -> None:
        """Drop request ``member`` (served or expired) from everywhere."""
        keys = [self._key(account_id, f"req:{member}"), self._key(account_id, f"claimed:{member}")]
        keys += self._device_keys(account_id, devices)
        self._forget(keys=keys, args=[member])


def watched(client: Any, namespace: str, account_id: str, devices: Iterable[str]) -> bool:
    """Whether anyone camps on one of ``devices`` of the account: one ``EXISTS`` (the
    check every call's end makes, so it registers no script)."""
    keys = [camp_key(namespace, account_id, f"device:{device}") for device in sorted(set(devices))]
    return bool(keys) and client.exists(*keys) > 0


def target_busy(
    client: Any, settings: Settings, account_id: str, devices: Iterable[str], exclude: str = ""
) -> bool:
    """Whether one of the target's ``devices`` is on a call of the account now (talking
    or ringing), other than call ``exclude``: Kazoo's "the target has channels"."""
    wanted = set(devices)
    if not wanted:
        return False
    return bool(
        calls_with(client, settings, account_id, wanted, exclude)
        or calls_ringing(client, settings, account_id, wanted, exclude)
    )


def originate_command(
    request: CampRequest, store: DocumentStore, client: Any, settings: Settings, cache: Cache | None
) -> dict[str, Any] | None:
    """The command that calls the requester back (None when none of its phones can
    ring: not registered, disabled...)."""
    context = CallContext(request.account_id, request.realm, CallerId(CALLER_NAME, request.number))
    reader = EndpointReader(store, context, registrations_from(client, settings.namespace), cache)
    if request.requester_type == "user":
        legs = reader.user(request.requester_id)
    else:
        legs = reader.device(request.requester_id)
    dialed = [  # names with spaces (the callee's) cannot go into an originate's argument
        leg_variables((k, v) for k, v in leg.variables if " " not in v) + leg.target
        for leg in legs
        if leg.target is not None
    ]
    if not dialed:
        return None
    return validate_command(
        {
            "id": str(uuid.uuid5(_NAMESPACE, f"command:{request.call_id}")),
            "call_id": request.origination_uuid,
            "node": request.node,
            "kind": "originate",
            "args": ",".join(dialed),
            "destination": request.number,
            "context": DEFAULT_CONTEXT,
            "timeout": RING_SECONDS,
        }
    )


def freed_devices(record: dict[str, Any]) -> set[str]:
    """The devices an ended call had on it: the calling device and its legs' devices."""
    devices = {str(record.get("ccvs", {}).get(DEVICE) or "")}
    devices |= {leg.get("device") or "" for leg in (record.get("legs") or {}).values()}
    return devices - {""}


def serve_freed(
    requests: CampRequests,
    account_id: str,
    devices: Iterable[str],
    *,
    store: DocumentStore,
    client: Any,
    settings: Settings,
    cache: Cache | None,
    publish: Callable[[list[dict[str, Any]]], None],
) -> list[str]:
    """Serve the first live request on each of ``devices`` whose target is free now:
    ``publish`` (a list of outbox entries) gets its originate. Returns the camping calls
    served (for the log and the tests)."""
    served: list[str] = []
    for device in sorted(set(devices)):
        for member in requests.waiting(account_id, device):
            pending, claimed_before = requests.peek(account_id, member)
            if pending is None and not claimed_before:  # expired
                requests.forget(account_id, member, [device])
                continue
            if pending is not None and target_busy(client, settings, account_id, pending.devices):
                break
            claimed = requests.claim(account_id, member)
            if claimed is None:
                continue
            how, request = claimed
            try:
                command = originate_command(request, store, client, settings, cache)
            except (ValueError, ValidationError) as error:  # nothing unchecked is sent
                log.warning("camp request %s: cannot call back: %s", member, error)
                command = None
            if command is None:
                log.info("camp request %s: the requester has no phone to ring", member)
            else:
                publish([{"type": "command", "command": dict(command)}])
                log.info(
                    "camp request %s (%s): %s is free, calling %s back on %s",
                    member, how, request.number, request.requester_id, request.origination_uuid,
                )  # fmt: skip
                served.append(request.call_id)
            requests.forget(account_id, member, request.devices)
            break
    return served
