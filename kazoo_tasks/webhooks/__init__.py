"""Account webhooks (Kazoo's webhooks application): names shared by the engine that emits
channel events, the workers that deliver them and the API that manages the hooks.

* :mod:`kazoo_tasks.webhooks.http`: one HTTP request to a customer's server (also used by
  the ``webhook`` callflow module's delivery);
* :mod:`kazoo_tasks.webhooks.matching`: which hooks of an account (and of its ancestors,
  ``include_subaccounts``) an event fires;
* :mod:`kazoo_tasks.webhooks.attempts`: the last delivery attempts of each account.

The delivery itself runs on the ``webhooks`` Celery queue (:mod:`workers.webhooks`).
"""

from __future__ import annotations

CHANNEL_CREATE = "channel_create"
CHANNEL_ANSWER = "channel_answer"
CHANNEL_BRIDGE = "channel_bridge"
CHANNEL_DESTROY = "channel_destroy"
OBJECT = "object"
ALL = "all"

FIRED_HOOKS = (CHANNEL_CREATE, CHANNEL_ANSWER, CHANNEL_BRIDGE, CHANNEL_DESTROY, OBJECT)
"""The hooks this system fires."""
KAZOO_HOOKS = (*FIRED_HOOKS, ALL, "notifications", "parking", "sms", "mms")
"""Every hook name Kazoo's webhooks app knows: a hook document naming any of them is
accepted (those not in :data:`FIRED_HOOKS` never fire here)."""

OBJECT_TYPES = (
    "account", "callflow", "device", "faxbox", "media", "user", "vmbox", "fax",
    "mailbox_message", "call_recording",
)  # fmt: skip
"""Document types the ``object`` hook reports (Kazoo's ``DOC_TYPES``)."""
OBJECT_ACTIONS = ("doc_created", "doc_edited", "doc_deleted")

DELIVER_TASK = "kazoo.webhooks.deliver"
"""Deliver one event to one hook (``webhooks`` queue)."""
OBJECT_TASK = "kazoo.webhooks.object_changed"
"""Find the ``object`` hooks a doc-change notification fires (``webhooks`` queue)."""

DISABLED_MESSAGE = "pvt_disabled_message"
"""Kazoo's private field holding why a hook was disabled (shown as ``disable_reason``)."""
AUTO_DISABLE_REASON = "too many failed attempts"
