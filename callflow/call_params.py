"""Kazoo's request parameters of a call: what ``pivot`` tells a customer's server about
the call, and the ``call`` object a ``function`` document's JavaScript gets."""

from __future__ import annotations

from typing import Any

from callflow.context import NodeContext
from callflow.dtmf_collections import DEFAULT, KVS_KEY

API_VERSION = "4.x"
"""The ``Api-Version`` sent: the Kazoo pivot API this follows."""


def _user(uri: str) -> tuple[str, str]:
    """``(user, realm)`` of a SIP URI or ``user@realm``."""
    bare = uri.split(":", 1)[1] if uri.startswith(("sip:", "sips:")) else uri
    user, _, realm = bare.partition("@")
    return user, realm.split(";", 1)[0].split(">", 1)[0]


def collections(ctx: NodeContext) -> dict[str, str]:
    """The call's DTMF collections (``collect_dtmf``'s), by name."""
    return dict(ctx.kvs_fetch(KVS_KEY) or {})


def request_params(ctx: NodeContext, req_format: str) -> dict[str, Any]:
    """The call's data in ``req_format`` ``kazoo`` (Kazoo's ``kzt_kazoo:req_params``) or
    ``twiml`` (Twilio's names); fields without a value are left out."""
    call = ctx.call
    from_user, from_realm = _user(str(call.get("from") or ""))
    to_user, to_realm = _user(str(call.get("to") or ""))
    status = "in-progress" if call.get("answered") else "ringing"
    if req_format == "twiml":
        params: dict[str, Any] = {
            "CallSid": call["call_id"], "AccountSid": call.get("account_id"),
            "From": from_user or call.get("caller_id_number"),
            "To": to_user or call["request_user"],
            "CallerName": call.get("caller_id_name"), "CallStatus": status,
            "ApiVersion": API_VERSION, "Direction": call.get("direction"),
            "Digits": collections(ctx).get(DEFAULT),
        }  # fmt: skip
    else:
        request_user, request_realm = _user(str(call.get("request") or ""))
        cavs = {k[4:]: v for k, v in call["kvs"].items() if k.startswith("cav_")}
        params = {
            "Call-ID": call["call_id"], "Account-ID": call.get("account_id"),
            "Api-Version": API_VERSION, "Call-Status": status, "Direction": call.get("direction"),
            "Caller-ID-Name": call.get("caller_id_name"),
            "Caller-ID-Number": call.get("caller_id_number"),
            "From": from_user, "From-Realm": from_realm, "To": to_user, "To-Realm": to_realm,
            "Request": request_user or call["request_user"], "Request-Realm": request_realm,
            "Digits": collections(ctx), "Language": ctx.kvs_fetch("language"),
            "User-ID": call["ccvs"].get("Owner-ID"), "Custom-Application-Vars": cavs,
        }  # fmt: skip
    return {k: v for k, v in params.items() if v not in (None, "", {})}
