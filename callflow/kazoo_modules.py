"""Kazoo's callflow catalogue, as data: the 78 module names Kazoo ships.

The names are those of Kazoo's ``cf_<name>.erl`` modules (``applications/callflow/src/module/``
and ACDc's four in ``applications/acdc/src/``), each documented in
``applications/callflow/doc/<name>.md``. A name here that no installed module registers is
*known but not implemented*: the API refuses it with an error saying so (not "unknown"),
and a call that meets one goes on to the node's ``_`` child like any module it cannot run.
docs/callflows.md gives the status of each.
"""

from __future__ import annotations

KAZOO_MODULES: tuple[str, ...] = (
    "acdc_agent", "acdc_member", "acdc_queue", "acdc_wait_time", "after_bridge", "answer",
    "audio_macro", "branch_bnumber", "branch_variable", "call_forward", "call_waiting",
    "callflow", "camping_feature", "check_cid", "cidlistmatch", "collect_dtmf", "conference",
    "conference_feature", "dead_air", "device", "directory", "disa", "do_not_disturb",
    "dynamic_cid", "eavesdrop", "eavesdrop_feature", "edr", "fax_detect", "faxbox", "flush_dtmf",
    "function", "group", "group_pickup", "group_pickup_feature", "hangup", "hotdesk", "intercept",
    "intercept_feature", "intercom", "language", "lookupcidname", "manual_presence", "menu",
    "missed_call_alert", "move", "nomorobo", "noop", "notification", "offnet", "page_group",
    "park", "pivot", "play", "prepend_cid", "privacy", "receive_fax", "record_call",
    "record_caller", "resources", "response", "ring_group", "ring_group_toggle", "route_to_cid",
    "send_dtmf", "set", "set_alert_info", "set_cid", "set_variable", "set_variables", "skel",
    "sleep", "temporal_route", "transfer", "tts", "user", "voicemail", "wait_for_hangup",
    "webhook",
)  # fmt: skip

LEFT_OUT: dict[str, str] = {
    "faxbox": "fax: T.38 and fax tone processing are media work FreeSWITCH and Kazoo's "
    "fax application do, not callflow decisions",
    "receive_fax": "fax: receiving a fax is media processing (FreeSWITCH's spandsp) "
    "and Kazoo's fax application, not a callflow decision",
    "fax_detect": "fax: detecting fax tones is media processing (FreeSWITCH's spandsp)",
    "skel": "Kazoo's template for writing a module, not an action",
}
"""Kazoo modules left out on purpose, with the reason (the API says it)."""


def not_implemented(name: str) -> str | None:
    """Why Kazoo module ``name`` cannot be used here ("not implemented yet", or the reason
    it is left out); None when ``name`` is not one of Kazoo's modules."""
    if name in LEFT_OUT:
        return f"left out: {LEFT_OUT[name]}"
    if name in KAZOO_MODULES:
        return "not implemented yet"
    return None
