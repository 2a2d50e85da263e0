"""The look-ups a real FreeSWITCH 1.10.12 sent to mod_xml_curl's gateway, as recorded in
tests/fixtures/freeswitch/directory_xml_curl.md (bodies verbatim, answers verbatim)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from tests.conftest import FREESWITCH_FIXTURES

DOC = FREESWITCH_FIXTURES / "directory_xml_curl.md"


@dataclass(frozen=True)
class Recorded:
    """One recorded look-up: its section title, raw body and the answer that was given."""

    title: str
    body: bytes
    answer: str

    @property
    def fields(self) -> dict[str, str]:
        """The decoded form fields (FreeSWITCH leaves ``,`` literal: parse_qsl copes)."""
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))


def recorded() -> list[Recorded]:
    """Every look-up of the fixture, in order."""
    text = DOC.read_text()
    sections = re.split(r"^### ", text, flags=re.M)[1:]
    found = []
    for section in sections:
        title = section.splitlines()[0]
        blocks = re.findall(r"```(?:xml)?\n(.*?)```", section, flags=re.S)
        body = next(b for b in blocks if b.startswith("hostname="))
        answer = next(b for b in blocks if b.startswith("<?xml"))
        found.append(Recorded(title, body.strip().encode(), answer))
    return found


def by_method(method: str, user: str = "1001") -> Recorded:
    """The recorded ``sip_auth`` look-up for ``method`` (REGISTER, INVITE) of ``user``."""
    for item in recorded():
        fields = item.fields
        if fields.get("sip_auth_method") == method and fields.get("user") == user:
            return item
    raise LookupError(method)


def digest_response(fields: dict[str, str], ha1: str) -> str:
    """The digest response a phone sends (RFC 2617, qop=auth) for the request described by
    the look-up ``fields``, given HA1 (what FreeSWITCH computes and compares)."""
    ha2 = hashlib.md5(f"{fields['sip_auth_method']}:{fields['sip_auth_uri']}".encode()).hexdigest()
    parts = [
        ha1,
        fields["sip_auth_nonce"],
        fields["sip_auth_nc"],
        fields["sip_auth_cnonce"],
        fields["sip_auth_qop"],
        ha2,
    ]
    return hashlib.md5(":".join(parts).encode()).hexdigest()
