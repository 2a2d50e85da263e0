"""Per-process caches erased by document changes (Kazoo's kz_cache, in Python).

    from kazoo_tasks.cache import named_cache, origins

    cache = named_cache(settings)              # process-wide, wired to doc changes
    callflow = cache.get_or_build(
        ("callflow", db, number),
        lambda: lookup(db, number),
        origins=[origins.doc_type(db, "callflow")],
        ttl=600,
    )

See docs/documents.md for the whole API.
"""

from kazoo_tasks.cache import origins
from kazoo_tasks.cache.listener import DocChangeListener, listener_for, named_cache
from kazoo_tasks.cache.local import CHANGED, ERASED, EXPIRED, FLUSHED, Cache
from kazoo_tasks.cache.origins import Origin

__all__ = [
    "CHANGED",
    "ERASED",
    "EXPIRED",
    "FLUSHED",
    "Cache",
    "DocChangeListener",
    "Origin",
    "listener_for",
    "named_cache",
    "origins",
]
