"""Answering FreeSWITCH's ``mod_xml_curl`` directory look-ups from the device documents.

FreeSWITCH asks once per REGISTER / INVITE that carries digest credentials
(``section=directory``, ``action=sip_auth``, ``user``, ``domain``): see
tests/fixtures/freeswitch/directory_xml_curl.md. The domain is an account's ``realm``;
the user is the ``sip.username`` of one of its devices. The answer gives FreeSWITCH the
``a1-hash`` (MD5 of ``user:realm:password``) to check the digest itself, and the
variables Kazoo puts on the caller's channel: ``ecallmgr_Account-ID``, ``ecallmgr_Owner-ID``,
``ecallmgr_Authorizing-ID``/``-Type`` and the rest, plus the effective caller id. Every
other look-up (``purpose=gateways`` at profile start, another section, an unknown,
disabled or IP-authenticated device, a realm no account or several accounts claim)
gets the "not found" document, which makes FreeSWITCH refuse the request (403).

Reads go through the process's document cache: a realm's account and an account's
device by username are cached, and erased when an account or a device changes.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from kazoo_tasks.cache import Cache, origins
from kazoo_tasks.docstore import ACCOUNTS_DB, DocumentStore, NotFound, account_db
from kazoo_tasks.docstore.base import Document

log = logging.getLogger(__name__)

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class DirectoryUser:
    """What FreeSWITCH is told about one SIP user."""

    username: str
    realm: str
    a1_hash: str
    variables: tuple[tuple[str, str], ...]


def a1_hash(username: str, realm: str, password: str) -> str:
    """HA1 of SIP digest authentication (RFC 2617): MD5 of ``user:realm:password``."""
    return hashlib.md5(f"{username}:{realm}:{password}".encode()).hexdigest()  # noqa: S324


def _text(value: Any) -> str | None:
    """A document's string value without control characters (None when empty)."""
    if not isinstance(value, str):
        return None
    cleaned = _CONTROL.sub("", value).strip()
    return cleaned or None


def _caller_id(docs: list[Document | None], key: str) -> str | None:
    """The first ``caller_id.internal.<key>`` of ``docs`` (device, owner, account)."""
    for doc in docs:
        internal = ((doc or {}).get("caller_id") or {}).get("internal") or {}
        value = _text(internal.get(key))
        if value:
            return value
    return None


def directory_variables(
    device: Document, owner: Document | None, account: Document, username: str, realm: str
) -> tuple[tuple[str, str], ...]:
    """The channel variables of a call authorised by ``device`` (Kazoo's ``ecallmgr_*``
    custom channel variables, then the effective caller id from device, owner, account)."""
    values: list[tuple[str, str | None]] = [
        ("ecallmgr_Account-ID", account["_id"]),
        ("ecallmgr_Authorizing-ID", device["_id"]),
        ("ecallmgr_Authorizing-Type", "device"),
        ("ecallmgr_Owner-ID", _text(device.get("owner_id"))),
        ("ecallmgr_Username", username),
        ("ecallmgr_Realm", realm),
        ("ecallmgr_Account-Realm", _text(account.get("realm"))),
        ("ecallmgr_Account-Name", _text(account.get("name"))),
        ("effective_caller_id_name", _caller_id([device, owner, account], "name")),
        ("effective_caller_id_number", _caller_id([device, owner, account], "number")),
    ]
    return tuple((name, value) for name, value in values if value)


class Directory:
    """Look SIP users up in the device documents (through ``cache`` when given)."""

    def __init__(self, store: DocumentStore, cache: Cache | None = None) -> None:
        self.store = store
        self.cache = cache

    def account_for_realm(self, realm: str) -> Document | None:
        """The account whose ``realm`` is ``realm``, or None (also when several claim it:
        the API refuses a second account with a taken realm, so that is a data error)."""

        def build() -> Document | None:
            found = self.store.find(ACCOUNTS_DB, {"pvt_type": "account", "realm": realm}, limit=2)
            if len(found) > 1:
                log.error(
                    "realm %s is claimed by accounts %s: refusing its SIP users",
                    realm,
                    ", ".join(doc["_id"] for doc in found),
                )
                return None
            return found[0] if found else None

        origin = origins.doc_type(ACCOUNTS_DB, "account")
        return self._cached(("account_by_realm", realm), build, origin)

    def device_for(self, account_id: str, username: str) -> Document | None:
        """The device of the account whose ``sip.username`` is ``username``, or None."""
        db = account_db(account_id)

        def build() -> Document | None:
            found = self.store.find(db, {"pvt_type": "device", "sip.username": username}, limit=2)
            if len(found) > 1:
                log.error("SIP username %s is used by devices %s", username, found)
                return None
            return found[0] if found else None

        return self._cached(("sip_device", db, username), build, origins.doc_type(db, "device"))

    def document(self, db: str, doc_id: str) -> Document | None:
        """Any document (the device's owner), or None."""

        def build() -> Document | None:
            try:
                return self.store.get(db, doc_id)
            except NotFound:
                return None

        return self._cached(("doc", db, doc_id), build, origins.doc(db, doc_id))

    def _cached(self, key: tuple[str, ...], build: Any, origin: origins.Origin) -> Any:
        if self.cache is None:
            return build()
        return self.cache.get_or_build(key, build, origins=[origin])

    def lookup(self, username: str, realm: str) -> DirectoryUser | None:
        """The SIP user ``username@realm``, or None when it must be refused."""
        account = self.account_for_realm(realm)
        if account is None:
            log.info("directory: no account with realm %s (user %s)", realm, username)
            return None
        device = self.device_for(account["_id"], username)
        refusal = _refusal(account, device)
        owner = None
        if refusal is None and device is not None and isinstance(device.get("owner_id"), str):
            owner = self.document(account_db(account["_id"]), device["owner_id"])
            if owner is not None and owner.get("enabled") is False:
                refusal = "owner disabled"
        if refusal is not None or device is None:
            log.info("directory: %s@%s refused: %s", username, realm, refusal)
            return None
        password = device["sip"]["password"]
        return DirectoryUser(
            username=username,
            realm=realm,
            a1_hash=a1_hash(username, realm, password),
            variables=directory_variables(device, owner, account, username, realm),
        )


def _refusal(account: Document, device: Document | None) -> str | None:
    """Why a device may not authenticate (None: it may)."""
    if account.get("enabled") is False:
        return "account disabled"
    if device is None:
        return "no such device"
    if device.get("enabled") is False:
        return "device disabled"
    sip = device.get("sip") or {}
    if sip.get("method", "password") != "password":
        return "device authenticates by IP (FreeSWITCH's ACL), not by the directory"
    if not isinstance(sip.get("password"), str) or not sip["password"]:
        return "device has no SIP password"
    return None


# -- the XML FreeSWITCH reads --------------------------------------------------------------


def not_found_xml() -> bytes:
    """The document that tells FreeSWITCH "no such user" (it then answers 403)."""
    document = ElementTree.Element("document", type="freeswitch/xml")
    section = ElementTree.SubElement(document, "section", name="result")
    ElementTree.SubElement(section, "result", status="not found")
    return _serialize(document)


def user_xml(user: DirectoryUser) -> bytes:
    """The directory document of one user (domain → groups → users → user)."""
    document = ElementTree.Element("document", type="freeswitch/xml")
    section = ElementTree.SubElement(document, "section", name="directory")
    domain = ElementTree.SubElement(section, "domain", name=user.realm)
    group = ElementTree.SubElement(ElementTree.SubElement(domain, "groups"), "group")
    group.set("name", "default")
    element = ElementTree.SubElement(
        ElementTree.SubElement(group, "users"), "user", id=user.username
    )
    params = ElementTree.SubElement(element, "params")
    ElementTree.SubElement(params, "param", name="a1-hash", value=user.a1_hash)
    variables = ElementTree.SubElement(element, "variables")
    for name, value in user.variables:
        ElementTree.SubElement(variables, "variable", name=name, value=value)
    return _serialize(document)


def _serialize(document: ElementTree.Element) -> bytes:
    ElementTree.indent(document)
    return (XML_DECLARATION + ElementTree.tostring(document, encoding="unicode") + "\n").encode()


def answer(form: Mapping[str, str], directory: Directory) -> bytes:
    """The XML answer to one ``mod_xml_curl`` request (its decoded form fields)."""
    if form.get("section") != "directory" or form.get("action") != "sip_auth":
        return not_found_xml()
    username = form.get("user") or form.get("sip_auth_username") or ""
    realm = form.get("domain") or form.get("sip_auth_realm") or ""
    if not username or not realm:
        return not_found_xml()
    user = directory.lookup(username, realm)
    return not_found_xml() if user is None else user_xml(user)
