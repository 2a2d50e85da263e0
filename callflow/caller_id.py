"""The caller id a call presents to the endpoints it rings, as Kazoo's kz_attributes
builds it from what the flow changed: ``set_cid``'s rewrite (kvs ``rewrite_cid_name`` /
``rewrite_cid_number``) replaces the caller's, ``prepend_cid``'s prefixes (kvs
``prepend_cid_name`` / ``prepend_cid_number``) go in front, and ``privacy``'s flags (custom
channel variables ``Caller-Privacy-Hide-Name`` / ``-Number``) hide them as Kazoo's
defaults do ("Anonymous", "anonymous")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REWRITE_NAME, REWRITE_NUMBER = "rewrite_cid_name", "rewrite_cid_number"
PREPEND_NAME, PREPEND_NUMBER = "prepend_cid_name", "prepend_cid_number"
HIDE_NAME, HIDE_NUMBER = "Caller-Privacy-Hide-Name", "Caller-Privacy-Hide-Number"
ANONYMOUS_NAME, ANONYMOUS_NUMBER = "Anonymous", "anonymous"
"""Kazoo's ``privacy.default_privacy_name`` / ``default_privacy_number``."""


def presented(call: Mapping[str, Any]) -> tuple[str, str]:
    """``(name, number)`` the callees of ``call`` (a call record) see."""
    kvs, ccvs = call.get("kvs") or {}, call.get("ccvs") or {}
    name = str(kvs.get(REWRITE_NAME) or call.get("caller_id_name") or "")
    number = str(kvs.get(REWRITE_NUMBER) or call.get("caller_id_number") or "")
    name = str(kvs.get(PREPEND_NAME) or "") + name
    number = str(kvs.get(PREPEND_NUMBER) or "") + number
    if ccvs.get(HIDE_NAME) == "true":
        name = ANONYMOUS_NAME
    if ccvs.get(HIDE_NUMBER) == "true":
        number = ANONYMOUS_NUMBER
    return name, number
