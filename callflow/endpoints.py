"""Endpoints to ring, and the ``bridge`` argument that rings them (Kazoo's kz_endpoint and
ecallmgr's bridge strings).

* a **device** becomes one leg: its live registration
  (``<ns>:registration:{<realm>:<user>}``, :func:`registered_contact`) as
  ``sofia/<profile>/<user>@<host>:<port>``; with ``sip.invite_format: route`` its
  ``sip.route`` (a ``sip:`` URI) as ``sofia/<profile>/sip:...``; with
  ``call_forward.enabled`` and a number, a ``loopback/<number>/<context>`` leg instead of
  (``substitute``, the default) or beside the device, and with ``call_forward.failover``
  that leg when the device is not registered. An unregistered device is an endpoint
  that *fails* with ``USER_NOT_REGISTERED``. The call-forward settings are the device's
  when it enables them, else its owner's over the device's (Kazoo's merge), so a user's
  forward (set by the ``call_forward`` feature code) applies to every phone they own; a
  device or owner with ``do_not_disturb.enabled`` is not rung at all;
* a **user** is every enabled device it owns (``owner_id``), its forward rung once;
* a **group** is its members (users and devices, in its ``endpoints`` order).

Each leg carries Kazoo's per-leg variables in ``[...]``: ``ecallmgr_Account-ID``,
``ecallmgr_Authorizing-ID``/``-Type``, ``ecallmgr_Owner-ID``, the caller id the callee
sees (``origination_caller_id_name/number``), the callee id, ``leg_timeout`` and
``leg_delay_start``. :func:`bridge_argument` joins legs with the ring strategy
(``simultaneous``: ``,``; ``single``: ``|``).

Nothing from a document or a caller reaches the dial string unchecked: names of people
keep only letters, digits, spaces and ``_ - . + @ # * ( )`` (as Kazoo's
``sanitize_fs_value_regex``, plus a few harmless signs); identifiers, numbers and SIP
URIs must match strict patterns or the endpoint is refused (``ValueError``). So a
caller-id name cannot split legs (``,`` ``|``), open or close a block (``[ ] { } < >``),
quote (``' "``), expand a variable or call an API (``$``), or carry a newline.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from callflow.documents import read_document
from callflow.hotdesks import hotdesk_devices
from kazoo_tasks.cache import Cache, origins
from kazoo_tasks.docstore import DocumentStore, account_db
from kazoo_tasks.docstore.base import Document
from kazoo_tasks.docstore.soft_delete import is_deleted
from kazoo_tasks.keys import registration_key

log = logging.getLogger(__name__)

USER_NOT_REGISTERED = "USER_NOT_REGISTERED"
NO_ROUTE_DESTINATION = "NO_ROUTE_DESTINATION"
DEFAULT_PROFILE = "sipinterface_1"
DEFAULT_CONTEXT = "context_2"
"""Kazoo's FreeSWITCH context (also the recorded switch's)."""
SEPARATORS = {"simultaneous": ",", "single": "|"}
"""Ring strategies and how FreeSWITCH's ``bridge`` reads them."""

_TEXT_UNSAFE = re.compile(r"[^\w .@+#*()-]", re.UNICODE)
_SPACES = re.compile(r"\s+")
_TOKEN = re.compile(r"^[A-Za-z0-9_.+@#*-]{1,128}$")
_NUMBER = re.compile(r"^\+?[0-9*#]{1,35}$")
_VAR_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_PROFILE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_SIP_USER = r"[A-Za-z0-9_.+*#%!~-]{1,64}"
_HOST = r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])"
_CONTACT = re.compile(rf"^(?P<user>{_SIP_USER})@(?P<host>{_HOST})(?::(?P<port>[0-9]{{1,5}}))?$")
_SIP_URI = re.compile(
    rf"^sips?:(?:{_SIP_USER}@)?{_HOST}(?::[0-9]{{1,5}})?(?:;transport=(?:udp|tcp|tls|ws|wss))?$",
    re.IGNORECASE,
)
_HOST_ONLY = re.compile(rf"^{_HOST}$")
_CONTACT_IN_HEADER = re.compile(r"<sips?:([^>;]+)")
TEXT_LIMIT = 64


# -- values that may go into a dial string ---------------------------------------------------


def text_value(value: Any) -> str:
    """A person's name (caller id...) made safe for a dial string: control characters and
    every sign with a meaning to FreeSWITCH removed, runs of spaces collapsed, capped."""
    text = _SPACES.sub(" ", str(value))
    return _TEXT_UNSAFE.sub("", text).strip()[:TEXT_LIMIT]


def _checked(pattern: re.Pattern[str], text: str, what: str, wanted: str) -> str:
    """``text`` when ``pattern`` matches it all, else ValueError naming ``what``."""
    if not pattern.match(text):
        raise ValueError(f"{what} {text!r} {wanted}")
    return text


def token_value(value: Any, what: str = "value") -> str:
    """An identifier (document id, realm, SIP user...) checked strictly."""
    return _checked(_TOKEN, str(value), what, "cannot go into a dial string")


def number_value(value: Any, what: str = "number") -> str:
    """A dialable number (``+``, digits, ``*``, ``#``), checked strictly."""
    return _checked(_NUMBER, str(value).strip(), what, "is not a dialable number")


def host_value(value: Any, what: str = "host") -> str:
    """A host name or IP address (``[...]`` for IPv6), checked strictly."""
    return _checked(_HOST_ONLY, str(value), what, "is not a host name or address")


def sip_uri_value(value: Any, what: str = "SIP URI") -> str:
    """A ``sip:`` / ``sips:`` URI (user, host, port, transport), checked strictly."""
    return _checked(_SIP_URI, str(value), what, "is not a SIP URI a dial string may hold")


def leg_variables(variables: Iterable[tuple[str, str]]) -> str:
    """``[k=v,...]`` of already safe values (empty when there is none)."""
    pairs = []
    for name, value in variables:
        if not _VAR_NAME.match(name):
            raise ValueError(f"variable name {name!r} cannot go into a dial string")
        pairs.append(f"{name}={value}")
    return f"[{','.join(pairs)}]" if pairs else ""


# -- endpoints ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallerId:
    """A name and number (what a callee sees, or who the callee is)."""

    name: str = ""
    number: str = ""


@dataclass(frozen=True)
class LegOptions:
    """How one endpoint is rung (Kazoo's ``timeout`` / ``delay`` of an endpoint)."""

    timeout: int | None = None
    """``leg_timeout``: seconds this leg rings before it gives up."""
    delay: int | None = None
    """``leg_delay_start``: seconds before this leg starts ringing."""


@dataclass(frozen=True)
class Endpoint:
    """One leg to ring (``target`` and its variables), or a leg that cannot ring
    (``failure``: the hangup cause FreeSWITCH would report for it)."""

    endpoint_id: str
    endpoint_type: str
    target: str | None
    variables: tuple[tuple[str, str], ...] = ()
    failure: str | None = None

    def dial(self) -> str:
        """This leg as FreeSWITCH's ``bridge`` reads it."""
        if self.target is None:
            return f"error/{self.failure or NO_ROUTE_DESTINATION}"
        return leg_variables(self.variables) + self.target


@dataclass(frozen=True)
class CallContext:
    """What building endpoints needs to know about the call and the account."""

    account_id: str
    realm: str
    caller: CallerId = field(default_factory=CallerId)
    profile: str = DEFAULT_PROFILE
    """The SIP profile legs go out on (when a registration does not name one)."""
    context: str = DEFAULT_CONTEXT
    """The dialplan context of call-forward loopback legs."""


Registrations = Callable[[str, str], Mapping[str, Any] | None]
"""``(realm, user) -> registration record`` (see :func:`registered_contact`)."""


def registered_contact(
    redis_client: Any, namespace: str, realm: str, user: str
) -> dict[str, Any] | None:
    """The live registration of ``user@realm`` as workers/registrations.py stores it."""
    raw = redis_client.get(registration_key(namespace, realm, user))
    return json.loads(raw) if raw else None


def registrations_from(redis_client: Any, namespace: str) -> Registrations:
    """A :data:`Registrations` reading the registration store in Redis."""
    return lambda realm, user: registered_contact(redis_client, namespace, realm, user)


def contact_target(registration: Mapping[str, Any], profile: str) -> str:
    """``sofia/<profile>/<user>@<host>:<port>`` of a registration (its Contact URI)."""
    found = _CONTACT_IN_HEADER.search(str(registration.get("contact", "")))
    contact = found.group(1) if found else ""
    match = _CONTACT.match(contact)
    if match is None:
        raise ValueError(f"registration contact {registration.get('contact')!r} is not usable")
    used_profile = str(registration.get("profile") or profile)
    if not _PROFILE.match(used_profile):
        raise ValueError(f"SIP profile {used_profile!r} cannot go into a dial string")
    return f"sofia/{used_profile}/{contact}"


def _sip(device: Document) -> dict[str, Any]:
    sip = device.get("sip")
    return sip if isinstance(sip, dict) else {}


def _base_variables(
    device: Document, context: CallContext, callee: CallerId, options: LegOptions
) -> list[tuple[str, str]]:
    variables = [
        ("ecallmgr_Account-ID", token_value(context.account_id, "account id")),
        ("ecallmgr_Authorizing-ID", token_value(device["_id"], "device id")),
        ("ecallmgr_Authorizing-Type", "device"),
    ]
    if isinstance(device.get("owner_id"), str):
        variables.append(("ecallmgr_Owner-ID", token_value(device["owner_id"], "owner id")))
    caller_name, callee_name = text_value(context.caller.name), text_value(callee.name)
    for name, value in (
        ("origination_caller_id_name", caller_name),
        ("origination_caller_id_number", _optional_number(context.caller.number)),
        ("origination_callee_id_name", callee_name),
        ("origination_callee_id_number", _optional_number(callee.number)),
    ):
        if value:
            variables.append((name, value))
    if options.timeout is not None:
        variables.append(("leg_timeout", str(int(options.timeout))))
    if options.delay:
        variables.append(("leg_delay_start", str(int(options.delay))))
    return variables


def _optional_number(value: str) -> str:
    """A caller-id number: kept when dialable-looking, else made safe as text."""
    return value if _NUMBER.match(value or "") else text_value(value).replace(" ", "")


def _section(doc: Document | None, key: str) -> dict[str, Any]:
    value = (doc or {}).get(key)
    return value if isinstance(value, dict) else {}


def call_forward(device: Document, owner: Document | None = None) -> dict[str, Any]:
    """The call-forward settings a device rings with: its own when it enables them, else
    its owner's over its own (Kazoo's kz_endpoint merge)."""
    own = _section(device, "call_forward")
    if own.get("enabled") is True or owner is None:
        return own
    return {**own, **_section(owner, "call_forward")}


def do_not_disturb(device: Document, owner: Document | None = None) -> bool:
    """Whether the device (or its owner) asked not to be disturbed."""
    return any(_section(doc, "do_not_disturb").get("enabled") is True for doc in (device, owner))


def device_endpoints(
    device: Document,
    context: CallContext,
    registrations: Registrations,
    *,
    options: LegOptions = LegOptions(),
    callee: CallerId | None = None,
    owner: Document | None = None,
) -> list[Endpoint]:
    """The legs of one device (none when it is disabled, or it or ``owner``, the user who
    owns it, is on do-not-disturb)."""
    if device.get("enabled") is False or do_not_disturb(device, owner):
        return []
    callee = callee or CallerId(text_value(device.get("name", "")), "")
    variables = tuple(_base_variables(device, context, callee, options))
    device_id = token_value(device["_id"], "device id")
    sip = _sip(device)
    forward = call_forward(device, owner)
    forward_number = forward.get("number")
    forward_leg = None
    if forward_number and (forward.get("enabled") or forward.get("failover")):
        number = number_value(forward_number, "call_forward.number")
        forward_vars = (*variables, ("ecallmgr_Call-Forward", "true"))
        target = f"loopback/{number}/{token_value(context.context, 'context')}"
        forward_leg = Endpoint(device_id, "device", target, forward_vars)
    if forward_leg is not None and forward.get("enabled") and forward.get("substitute", True):
        return [forward_leg]
    if sip.get("invite_format") == "route" and sip.get("route"):
        route = sip_uri_value(sip["route"], "sip.route")
        legs = [Endpoint(device_id, "device", f"sofia/{context.profile}/{route}", variables)]
    else:
        legs = [_registered_leg(device, context, registrations, variables)]
    if forward_leg is not None:
        if forward.get("enabled"):
            legs.append(forward_leg)
        elif legs[0].target is None:  # failover: forward only when the device is away
            legs = [forward_leg]
    return legs


def _registered_leg(
    device: Document,
    context: CallContext,
    registrations: Registrations,
    variables: tuple[tuple[str, str], ...],
) -> Endpoint:
    sip = _sip(device)
    device_id = token_value(device["_id"], "device id")
    username = sip.get("username")
    if not isinstance(username, str):
        return Endpoint(device_id, "device", None, variables, USER_NOT_REGISTERED)
    realm = str(sip.get("realm") or context.realm)
    registration = registrations(realm, username)
    if registration is None:
        return Endpoint(device_id, "device", None, variables, USER_NOT_REGISTERED)
    try:
        target = contact_target(registration, context.profile)
    except ValueError as error:  # a Contact the phone sent that no dial string may hold
        log.warning("device %s: %s", device_id, error)
        return Endpoint(device_id, "device", None, variables, USER_NOT_REGISTERED)
    return Endpoint(device_id, "device", target, variables)


# -- users and groups: documents read (through the cache when given) -----------------------


@dataclass
class EndpointReader:
    """Reads the devices of users and the members of groups of one account."""

    store: DocumentStore
    context: CallContext
    registrations: Registrations
    cache: Cache | None = None

    @property
    def db(self) -> str:
        return account_db(self.context.account_id)

    def _read(self, key: tuple[str, ...], build: Callable[[], Any], origin: Any) -> Any:
        if self.cache is None:
            return build()
        return self.cache.get_or_build(key, build, origins=[origin])

    def document(self, doc_id: str) -> Document | None:
        """One document of the account, or None (also when it is soft-deleted)."""
        return read_document(self.store, self.db, doc_id, self.cache)

    def owned_devices(self, user_id: str) -> list[Document]:
        """The devices whose ``owner_id`` is ``user_id`` (ordered by id)."""

        def build() -> list[Document]:
            found = self.store.find(self.db, {"pvt_type": "device", "owner_id": user_id})
            return sorted((d for d in found if not is_deleted(d)), key=lambda doc: doc["_id"])

        origin = origins.doc_type(self.db, "device")
        return self._read(("owned_devices", self.db, user_id), build, origin)

    def hotdesk_devices(self, user_id: str) -> list[Document]:
        """The devices ``user_id`` is logged in to by hotdesking (Kazoo rings them for her
        as her own), ordered by id."""

        def build() -> list[Document]:
            return hotdesk_devices(self.store, self.context.account_id, user_id)

        origin = origins.doc_type(self.db, "device")
        return self._read(("hotdesk_devices", self.db, user_id), build, origin)

    def device(self, device_id: str, options: LegOptions = LegOptions()) -> list[Endpoint]:
        """The legs of a device by id (none when it is missing or not a device)."""
        doc = self.document(device_id)
        if doc is None or doc.get("pvt_type") != "device":
            return []
        owner = self.document(doc["owner_id"]) if isinstance(doc.get("owner_id"), str) else None
        return self._legs_of(doc, owner, options)

    def _legs_of(
        self, device: Document, owner: Document | None, options: LegOptions
    ) -> list[Endpoint]:
        """The legs of one device document, owned by ``owner``."""
        return device_endpoints(
            device,
            self.context,
            self.registrations,
            options=options,
            callee=_callee(device, owner),
            owner=owner,
        )

    def user(self, user_id: str, options: LegOptions = LegOptions()) -> list[Endpoint]:
        """The legs of every enabled device of a user, hers or hotdesked into (none when
        the user is disabled)."""
        user = self.document(user_id)
        if user is None or user.get("pvt_type") != "user" or user.get("enabled") is False:
            return []
        legs: list[Endpoint] = []
        owned = self.owned_devices(user_id)
        mine = {device["_id"] for device in owned}
        hotdesked = [d for d in self.hotdesk_devices(user_id) if d["_id"] not in mine]
        for device in owned + hotdesked:
            for leg in self._legs_of(device, user, options):
                forwarded = leg.target and leg.target.startswith("loopback/")
                if not (forwarded and any(leg.target == other.target for other in legs)):
                    legs.append(leg)  # the user's forward number rings once, not per phone
        return legs

    def group(self, group_id: str, options: LegOptions = LegOptions()) -> list[Endpoint]:
        """The legs of a group's members (users and devices), in the group's order."""
        group = self.document(group_id)
        if group is None or group.get("pvt_type") != "group":
            return []
        legs: list[Endpoint] = []
        for member_id, member in (group.get("endpoints") or {}).items():
            kind = (member or {}).get("type", "device")
            legs += (
                self.user(member_id, options) if kind == "user" else self.device(member_id, options)
            )
        return legs


def _callee(device: Document, owner: Document | None) -> CallerId:
    """Who the callee is: the owner's full name, else the device's name."""
    if owner is not None:
        name = f"{owner.get('first_name', '')} {owner.get('last_name', '')}".strip()
        if name:
            return CallerId(text_value(name), "")
    return CallerId(text_value(device.get("name", "")), "")


# -- the bridge argument -----------------------------------------------------------------------


@dataclass(frozen=True)
class BridgePlan:
    """What to give ``bridge``, and the endpoints that could not be rung."""

    argument: str
    dialed: tuple[Endpoint, ...]
    unreachable: tuple[Endpoint, ...]

    @property
    def failure_cause(self) -> str | None:
        """The cause the bridge will end with when nothing can ring (else None): a module
        may take its failure child at once instead of asking the switch."""
        if self.dialed:
            return None
        causes = [leg.failure for leg in self.unreachable if leg.failure]
        return causes[0] if causes else NO_ROUTE_DESTINATION


def bridge_argument(
    endpoints: Sequence[Endpoint],
    strategy: str = "simultaneous",
    *,
    global_variables: Iterable[tuple[str, str]] = (),
) -> BridgePlan:
    """The ``bridge`` argument ringing ``endpoints`` with Kazoo's ``strategy``.

    Legs that cannot ring are left out (as ecallmgr does); when none is left, the argument
    is ``error/<cause>`` so the bridge fails the way FreeSWITCH reports it and the flow
    takes the failure child like any other failure.
    """
    separator = SEPARATORS.get(strategy)
    if separator is None:
        raise ValueError(f"unknown ring strategy {strategy!r} (simultaneous, single)")
    dialed = tuple(leg for leg in endpoints if leg.target is not None)
    unreachable = tuple(leg for leg in endpoints if leg.target is None)
    globals_block = leg_variables(global_variables)
    prefix = "{" + globals_block[1:-1] + "}" if globals_block else ""
    plan = BridgePlan("", dialed, unreachable)
    if not dialed:
        return replace(plan, argument=f"error/{plan.failure_cause}")
    return replace(plan, argument=prefix + separator.join(leg.dial() for leg in dialed))
