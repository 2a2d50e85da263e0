"""SIP digest authentication against a ``mod_xml_curl`` directory, as FreeSWITCH does it.

A real FreeSWITCH challenges a REGISTER (401) or an INVITE (407), then, for the request
that carries credentials, POSTs one directory look-up to its ``xml_curl`` gateway and
checks the phone's digest against the ``password`` (or ``a1-hash``) param it gets back;
a "not found" answer, a missing user or a wrong digest is a ``403 Forbidden``, and an
authorised INVITE gets the user's ``<variables>`` on its channel
(tests/fixtures/freeswitch/directory_xml_curl.md). The emulator has no SIP, so a
scripted device is a :class:`Credentials`: :class:`DirectoryAuth` computes the digest
the phone would send with its password, makes the same HTTP look-up (same form fields,
in the same order, with FreeSWITCH's URL encoding and headers) and checks the digest
against the answer. Used by :meth:`Emulator.register` / ``unregister`` / ``place_call``.

The HTTP request is blocking: callers run it off the emulator's loop.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit
from xml.etree import ElementTree

from kazoo_tasks.esl.emulator.events import Pairs
from kazoo_tasks.esl.frames import url_encode

if TYPE_CHECKING:
    from kazoo_tasks.esl.emulator.switch import Switch

log = logging.getLogger(__name__)

FORBIDDEN = 403
OK = 200
USER_AGENT = "freeswitch-xml/1.0"
CALLING_SITE = (
    ("Event-Calling-File", "sofia_reg.c"),
    ("Event-Calling-Function", "sofia_reg_parse_auth"),
    ("Event-Calling-Line-Number", "3124"),
)
"""Where FreeSWITCH 1.10.12 builds the look-up's REQUEST_PARAMS event."""


@dataclass(frozen=True)
class Credentials:
    """A scripted SIP device: what a phone is configured with."""

    user: str
    password: str
    realm: str = "127.0.0.1"
    contact_ip: str = "127.0.0.1"
    contact_port: int = 5062
    user_agent: str = "kazoo-tasks-emulator"


@dataclass(frozen=True)
class AuthResult:
    """FreeSWITCH's verdict on one authenticated request."""

    status: int
    """200: authorised; 403: refused (unknown user, wrong digest, look-up failed)."""
    variables: tuple[tuple[str, str], ...] = ()
    """The user's ``<variables>`` (set on an authorised call's channel)."""
    reason: str = ""

    @property
    def authorised(self) -> bool:
        return self.status == OK


@dataclass(frozen=True)
class SipRequest:
    """The SIP request being authenticated (what the look-up describes)."""

    method: str
    """``REGISTER`` or ``INVITE``."""
    to_user: str
    request_user: str | None = None
    call_id: str = field(default_factory=lambda: f"{uuid.uuid4().hex[:12]}@127.0.0.1")


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - SIP digest is MD5


def digest_response(ha1: str, method: str, uri: str, nonce: str, nc: str, cnonce: str) -> str:
    """RFC 2617 digest response with ``qop=auth`` (what phone and switch both compute)."""
    ha2 = md5_hex(f"{method}:{uri}")
    return md5_hex(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")


@dataclass(frozen=True)
class DirectoryUser:
    """What a directory answer says about one user."""

    password: str | None
    a1_hash: str | None
    variables: tuple[tuple[str, str], ...]


def parse_answer(xml: bytes, user: str, realm: str) -> DirectoryUser | None:
    """The user ``user`` of domain ``realm`` in a directory answer (None: not found)."""
    try:
        document = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return None
    for section in document.iterfind("section"):
        if section.get("name") != "directory":
            continue
        for domain in section.iterfind("domain"):
            if domain.get("name") != realm:
                continue
            for found in domain.iter("user"):
                if found.get("id") != user:
                    continue
                params = {p.get("name"): p.get("value") for p in found.iterfind("params/param")}
                variables = tuple(
                    (v.get("name") or "", v.get("value") or "")
                    for v in found.iterfind("variables/variable")
                    if v.get("name")
                )
                return DirectoryUser(params.get("password"), params.get("a1-hash"), variables)
    return None


class DirectoryAuth:
    """Authenticates scripted devices against ``url`` as one FreeSWITCH profile would."""

    def __init__(
        self,
        url: str,
        *,
        hostname: str,
        profile: str,
        profile_ip: str,
        profile_port: int,
        timeout: float = 10.0,
    ) -> None:
        parts = urlsplit(url)
        self.credentials_header: str | None = None
        if parts.username is not None:  # gateway-credentials, sent by basic auth
            pair = f"{parts.username}:{parts.password or ''}".encode()
            self.credentials_header = "Basic " + base64.b64encode(pair).decode()
            netloc = parts.hostname or ""
            if parts.port:
                netloc += f":{parts.port}"
            parts = parts._replace(netloc=netloc)
        self.url = urlunsplit(parts)
        self.hostname = hostname
        self.profile = profile
        self.profile_ip = profile_ip
        self.profile_port = profile_port
        self.timeout = timeout

    def body(
        self,
        core: Pairs,
        credentials: Credentials,
        request: SipRequest,
        nonce: str,
        cnonce: str,
        response: str,
    ) -> bytes:
        """The form body FreeSWITCH posts, field for field (``core``: the REQUEST_PARAMS
        event's headers, from ``Event-Name`` to ``Event-Sequence``)."""
        user, realm = credentials.user, credentials.realm
        fields: Pairs = [
            ("hostname", self.hostname),
            ("section", "directory"),
            ("tag_name", "domain"),
            ("key_name", "name"),
            ("key_value", realm),
            *core,
            ("action", "sip_auth"),
            ("sip_profile", self.profile),
            ("sip_user_agent", credentials.user_agent),
            ("sip_auth_username", user),
            ("sip_auth_realm", realm),
            ("sip_auth_nonce", nonce),
            ("sip_auth_uri", self.auth_uri),
            ("sip_contact_user", user),
            ("sip_contact_host", credentials.contact_ip),
            ("sip_to_user", request.to_user),
            ("sip_to_host", realm),
        ]
        if request.method == "INVITE":
            fields.append(("sip_to_port", str(self.profile_port)))
        fields += [
            ("sip_via_protocol", "udp"),
            ("sip_from_user", user),
            ("sip_from_host", realm),
            ("sip_call_id", request.call_id),
        ]
        if request.request_user is not None:
            fields.append(("sip_request_user", request.request_user))
        fields += [
            ("sip_request_host", self.profile_ip),
            ("sip_request_port", str(self.profile_port)),
            ("sip_auth_qop", "auth"),
            ("sip_auth_cnonce", cnonce),
            ("sip_auth_nc", "00000001"),
            ("sip_auth_response", response),
            ("sip_auth_method", request.method),
            ("client_port", str(credentials.contact_port)),
            ("key", "id"),
            ("user", user),
            ("domain", realm),
            ("ip", credentials.contact_ip),
        ]
        return "&".join(f"{name}={url_encode(value)}" for name, value in fields).encode()

    @property
    def auth_uri(self) -> str:
        """The digest URI a phone puts in its credentials (the profile's address)."""
        return f"sip:{self.profile_ip}:{self.profile_port}"

    def authenticate(
        self, core: Pairs, credentials: Credentials, request: SipRequest
    ) -> AuthResult:
        """The device sends its credentials for ``request``; FreeSWITCH asks the directory
        and checks them. Never raises: a failed look-up is a refusal, as with FreeSWITCH."""
        nonce = str(uuid.uuid4())
        cnonce = secrets.token_hex(4)
        ha1 = md5_hex(f"{credentials.user}:{credentials.realm}:{credentials.password}")
        response = digest_response(ha1, request.method, self.auth_uri, nonce, "00000001", cnonce)
        body = self.body(core, credentials, request, nonce, cnonce, response)
        try:
            answer = self._post(body)
        except (OSError, urllib.error.URLError) as error:
            log.warning("directory look-up of %s failed: %s", credentials.user, error)
            return AuthResult(FORBIDDEN, reason=f"look-up failed: {error}")
        found = parse_answer(answer, credentials.user, credentials.realm)
        if found is None:
            return AuthResult(FORBIDDEN, reason="not found")
        if found.a1_hash:
            expected_ha1 = found.a1_hash
        elif found.password is not None:
            expected_ha1 = md5_hex(f"{credentials.user}:{credentials.realm}:{found.password}")
        else:
            return AuthResult(FORBIDDEN, reason="no password in the directory")
        expected = digest_response(
            expected_ha1, request.method, self.auth_uri, nonce, "00000001", cnonce
        )
        if expected != response:
            return AuthResult(FORBIDDEN, reason="wrong password")
        return AuthResult(OK, found.variables)

    def _post(self, body: bytes) -> bytes:
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": "*/*",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        if self.credentials_header:
            headers["Authorization"] = self.credentials_header
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
            return answer.read()


def authorised_variables(credentials: Credentials, result: AuthResult) -> dict[str, str]:
    """The variables FreeSWITCH puts on a channel whose INVITE ``result`` authorised."""
    user, realm = credentials.user, credentials.realm
    return {
        "sip_authorized": "true",
        "sip_auth_username": user,
        "sip_auth_realm": realm,
        "user_name": user,
        "domain_name": realm,
        "requested_user_name": user,
        "requested_domain_name": realm,
        **dict(result.variables),
    }


class CallRefused(Exception):
    """FreeSWITCH refused a device's INVITE (no channel was created)."""

    def __init__(self, result: AuthResult) -> None:
        super().__init__(f"{result.status} Forbidden: {result.reason}")
        self.result = result


def request_params_core(switch: Switch) -> Pairs:
    """The headers of the REQUEST_PARAMS event a look-up starts with (on the switch's
    loop: the event takes the next ``Event-Sequence``, as FreeSWITCH's does)."""
    switch.sequence += 1
    event = switch.build_event("REQUEST_PARAMS", sequence=switch.sequence)
    calling = dict(CALLING_SITE)
    return [(name, calling.get(name, value)) for name, value in event.core]


def directory_for(switch: Switch, url: str) -> DirectoryAuth:
    """A :class:`DirectoryAuth` speaking for ``switch``'s SIP profile."""
    profile = switch.config.sofia
    return DirectoryAuth(
        url,
        hostname=switch.config.hostname,
        profile=profile.name,
        profile_ip=profile.ip,
        profile_port=profile.port,
    )
