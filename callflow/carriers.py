"""Carriers: which resources take a number, and the legs that dial it through their
gateways (Kazoo's stepswitch, ``stepswitch_resources``).

* The number is normalized to E.164 with Kazoo's default converters (:func:`to_e164`:
  ten US digits get ``+1``, ``011``/``00`` become ``+``...), unless the node asks not to.
* A resource with ``classifiers`` takes the numbers of the classifiers it lists
  (:data:`CLASSIFIERS`, Kazoo's defaults: ``tollfree_us``, ``emergency``, ``did_us``...),
  each with its own regex, ``weight_cost``, ``prefix`` / ``suffix`` and emergency flag;
  when no classified resource takes the number, the resources without classifiers are
  tried by their ``rules``: the first regex that matches, and the longest capture group
  is the number sent (the whole match without one). ``cid_rules``, when given, must
  match the caller id number too. ``flags``: a call that asks for flags gets only the
  resources that have them all (or ``ignore_flags``); one that asks for none never gets a
  ``require_flags`` resource. Disabled resources and gateways are left out.
* The matches are ordered by ``weight_cost`` (lower first, ties in the stored order), and
  each enabled gateway of each becomes a leg, in order: ``sip:<prefix><number><suffix>@
  <server>[:port]`` (or the gateway's static ``route``) on the switch's SIP profile, with
  the gateway's credentials (``sip_auth_username`` / ``sip_auth_password``). The legs are
  dialed one after the other by FreeSWITCH (``|``): a gateway that fails (busy, rejected,
  unreachable) hands the call to the next, as Kazoo's bridge does.

Nothing from a document reaches the dial string unchecked (:mod:`callflow.endpoints`): a
server, a number, a credential that does not fit its pattern leaves its gateway out.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import regex

from callflow.endpoints import (
    CallerId,
    Endpoint,
    host_value,
    leg_variables,
    sip_uri_value,
    text_value,
    token_value,
)
from callflow.hunting import SEARCH_TIMEOUT

log = logging.getLogger(__name__)

E164_CONVERTERS: tuple[tuple[str, str], ...] = (
    (r"^(\+?1)?([2-9][0-9]{2}[2-9][0-9]{6})$", "+1"),
    (r"^011(\d{5,})$|^00(\d{5,})$", "+"),
    (r"^[2-9]\d{7,}$", "+"),
)
"""Kazoo's default ``e164_converters``: regex, and the prefix put before its capture
group (the whole number without one)."""

CLASSIFIERS: dict[str, tuple[str, bool]] = {
    "tollfree_us": (r"^\+1((?:800|88\d|877|866|855|844|833|822)\d{7})$", False),
    "toll_us": (r"^\+1(900\d{7})$", False),
    "emergency": (r"^(911|922|933|833|811|711|999)$", True),
    "caribbean": (
        r"^\+?1((?:684|264|268|242|246|441|284|345|767|809|829|849|473|671|876|664|670|787"
        r"|939|869|758|784|721|868|649|340)\d{7})$",
        False,
    ),
    "did_us": (r"^(\+?1)?([2-9][0-9]{2}[2-9][0-9]{6})$", False),
    "international": (r"^\+([2-9]\d{7,})$", False),
    "unknown": (r"^(.*)$", False),
}
"""Kazoo's default number classifiers, in the order a number is classified: regex, and
whether numbers of it are emergency calls."""

DEFAULT_PORT = 5060
_SECRET = regex.compile(r"^[A-Za-z0-9_.+@#*!~%^=:;?/-]{1,64}$")
_AFFIX = regex.compile(r"^[0-9A-Za-z+*#]{0,64}$")


@functools.lru_cache(maxsize=4096)
def compile_rule(pattern: str) -> regex.Pattern[str]:
    """A rule of a resource as a regex (PCRE syntax, as Kazoo's), compiled once per worker
    process; ValueError when it does not compile."""
    try:
        return regex.compile(pattern)
    except (regex.error, TypeError, ValueError, OverflowError, RecursionError) as error:
        raise ValueError(f"regex {pattern!r} does not compile: {error}") from None


def to_e164(number: str) -> str:
    """``number`` normalized by Kazoo's default E.164 converters (unchanged when none
    applies)."""
    for pattern, prefix in E164_CONVERTERS:
        match = regex.match(pattern, number)
        if match:
            groups = [g for g in match.groups() if g]
            return prefix + (groups[-1] if groups else match.group(0))
    return number


def classify(number: str) -> str:
    """The name of the first classifier whose regex matches ``number`` (E.164)."""
    for name, (pattern, _) in CLASSIFIERS.items():
        if regex.match(pattern, number):
            return name
    return "unknown"


def _matched_number(rules: Iterable[str], number: str) -> str | None:
    """The number a resource sends for ``number``: the longest capture group of the first
    rule that matches (the whole match without groups); None when no rule matches."""
    for rule in rules:
        try:
            match = compile_rule(rule).search(number, timeout=SEARCH_TIMEOUT)
        except (ValueError, TimeoutError):
            continue
        if match is None:
            continue
        groups = [g for g in match.groups() if g]
        return max(groups, key=len) if groups else match.group(0)
    return None


@dataclass(frozen=True)
class Route:
    """A resource that takes the number: what it sends, its weight and its gateways."""

    resource_id: str
    name: str
    number: str
    weight: int
    emergency: bool
    gateways: tuple[Mapping[str, Any], ...]


def _eligible(resource: Mapping[str, Any], flags: Sequence[str]) -> bool:
    if resource.get("enabled") is False:
        return False
    if not flags:
        return resource.get("require_flags") is not True
    if resource.get("ignore_flags") is True:
        return True
    own = resource.get("flags") or []
    return all(flag in own for flag in flags if flag)


def _caller_matches(resource: Mapping[str, Any], caller_number: str) -> bool:
    rules = resource.get("cid_rules") or []
    return not rules or _matched_number(rules, caller_number) is not None


def _with_affixes(gateways: Iterable[Any], classifier: Mapping[str, Any]) -> tuple[Any, ...]:
    """Gateways with the classifier's prefix / suffix over their own (Kazoo's)."""
    affixes = {k: classifier[k] for k in ("prefix", "suffix") if classifier.get(k) is not None}
    return tuple({**gateway, **affixes} for gateway in gateways if isinstance(gateway, dict))


def routes(
    resources: Iterable[Mapping[str, Any]],
    number: str,
    *,
    caller_number: str = "",
    flags: Sequence[str] = (),
) -> list[Route]:
    """The resources that take ``number``, best first (see the module's docstring)."""
    usable = [r for r in resources if _eligible(r, flags) and _caller_matches(r, caller_number)]
    classification = classify(number)
    classified: list[Route] = []
    for resource in usable:
        own = (resource.get("classifiers") or {}).get(classification)
        if not isinstance(own, dict) or own.get("enabled") is False:
            continue
        default_regex, default_emergency = CLASSIFIERS[classification]
        sent = _matched_number([own.get("regex") or default_regex], number)
        if sent is None:
            continue
        emergency = own.get("emergency", default_emergency) or resource.get("emergency")
        classified.append(
            Route(
                str(resource["_id"]),
                str(resource.get("name", "")),
                sent,
                int(own.get("weight_cost", resource.get("weight_cost", 50))),
                bool(emergency),
                _with_affixes(resource.get("gateways") or [], own),
            )
        )
    found = classified or [
        Route(
            str(resource["_id"]),
            str(resource.get("name", "")),
            sent,
            int(resource.get("weight_cost", 50)),
            bool(resource.get("emergency")) or CLASSIFIERS[classification][1],
            tuple(g for g in resource.get("gateways") or [] if isinstance(g, dict)),
        )
        for resource in usable
        if not resource.get("classifiers")
        and (sent := _matched_number(resource.get("rules") or [], number)) is not None
    ]
    return sorted(found, key=lambda route: route.weight)


# -- legs ----------------------------------------------------------------------------------


def formatted(number: str, invite_format: str) -> str:
    """The number as a gateway's ``invite_format`` wants it in the Request-URI."""
    digits = number.lstrip("+")
    npan = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
    if invite_format == "npan":
        return npan
    if invite_format == "1npan":
        return "1" + npan if len(npan) == 10 else digits
    if invite_format == "strip_plus":
        return digits
    if invite_format == "e164":
        return to_e164(number)
    return number


def gateway_target(gateway: Mapping[str, Any], number: str, profile: str) -> str:
    """``sofia/<profile>/sip:<prefix><number><suffix>@<server>[:port]`` (or the gateway's
    static ``route``); ValueError when a part cannot go into a dial string."""
    route = gateway.get("route")
    if isinstance(route, str) and route:
        return f"sofia/{profile}/{sip_uri_value(route, 'route')}"
    server = host_value(gateway.get("server") or "", "server")
    prefix, suffix = str(gateway.get("prefix") or ""), str(gateway.get("suffix") or "")
    user = prefix + formatted(number, str(gateway.get("invite_format") or "route")) + suffix
    if not _AFFIX.match(user):
        raise ValueError(f"number {user!r} cannot go into a dial string")
    port = int(gateway.get("port") or DEFAULT_PORT)
    if not 0 < port < 65536:
        raise ValueError(f"port {port} is not a port")
    at = f"{server}:{port}" if port != DEFAULT_PORT else server
    return f"sofia/{profile}/sip:{user}@{at}"


def gateway_leg(
    route: Route,
    gateway: Mapping[str, Any],
    *,
    account_id: str,
    caller: CallerId,
    profile: str,
    global_resource: bool,
    timeout: int | None = None,
) -> Endpoint | None:
    """The leg dialing ``route``'s number through ``gateway`` (None: the gateway is
    disabled, not SIP, or holds something no dial string may carry)."""
    if gateway.get("enabled") is False or gateway.get("endpoint_type", "sip") != "sip":
        return None
    try:
        target = gateway_target(gateway, route.number, profile)
        variables = [
            ("ecallmgr_Account-ID", token_value(account_id, "account id")),
            ("ecallmgr_Resource-ID", token_value(route.resource_id, "resource id")),
            ("ecallmgr_Global-Resource", "true" if global_resource else "false"),
            ("ecallmgr_Emergency-Resource", "true" if route.emergency else "false"),
        ]
        for name, value in (
            ("origination_caller_id_name", text_value(caller.name)),
            ("origination_caller_id_number", text_value(caller.number).replace(" ", "")),
            ("origination_callee_id_number", text_value(route.number)),
        ):
            if value:
                variables.append((name, value))
        for name, key in (("sip_auth_username", "username"), ("sip_auth_password", "password")):
            secret = gateway.get(key)
            if secret:
                if not _SECRET.match(str(secret)):
                    raise ValueError(f"gateway {key} holds characters a dial string cannot")
                variables.append((name, str(secret)))
        if timeout:
            variables.append(("leg_timeout", str(int(timeout))))
        leg_variables(variables)  # checks the names
    except (ValueError, TypeError) as error:
        log.warning("resource %s: gateway left out: %s", route.resource_id, error)
        return None
    return Endpoint(route.resource_id, "resource", target, tuple(variables))


# -- caller id --------------------------------------------------------------------------------


def configured_caller_id(documents: Sequence[Mapping[str, Any] | None], cid_type: str) -> CallerId:
    """The caller id of type ``cid_type`` (``external``, ``emergency``...) set on the first
    of ``documents`` (the calling device, its owner, the account) that has one, name and
    number each on their own; ``emergency`` falls back to ``external`` (Kazoo's
    kz_attributes:caller_id)."""
    types = [cid_type] + (["external"] if cid_type == "emergency" else [])
    found: dict[str, str] = {}
    for kind in types:
        for doc in documents:
            entry = ((doc or {}).get("caller_id") or {}).get(kind) or {}
            for field in ("name", "number"):
                if field not in found and isinstance(entry.get(field), str) and entry[field]:
                    found[field] = entry[field]
    return CallerId(found.get("name", ""), found.get("number", ""))
