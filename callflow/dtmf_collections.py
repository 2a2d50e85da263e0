"""Named DTMF collections on the call (Kazoo's ``dtmf_collections``).

``collect_dtmf`` stores what the caller typed under a collection name (``default``
unless told otherwise) in the call's key/value store, ``kvs["dtmf_collections"]``, where
later nodes read it (Kazoo's pivot posts them to the customer's server); ``flush_dtmf``
forgets one. The value is a string of digits (``""`` when the caller typed none).
"""

from __future__ import annotations

from callflow.context import NodeContext

KVS_KEY = "dtmf_collections"
DEFAULT = "default"
DTMF_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "#", "*")
"""The keys Kazoo's schemas accept as terminators."""


def collected(ctx: NodeContext, name: str = DEFAULT) -> str | None:
    """The digits of collection ``name``, None when there is none."""
    value = (ctx.kvs_fetch(KVS_KEY) or {}).get(name)
    return value if isinstance(value, str) else None


def set_collected(ctx: NodeContext, name: str, digits: str | None) -> None:
    """Store ``digits`` as collection ``name`` (None: forget it)."""
    collections = dict(ctx.kvs_fetch(KVS_KEY) or {})
    if digits is None:
        collections.pop(name, None)
    else:
        collections[name] = digits
    ctx.kvs_store(KVS_KEY, collections)
