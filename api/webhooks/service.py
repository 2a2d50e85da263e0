"""Rules of webhooks beyond their schema, as Kazoo's cb_webhooks has them.

* An ``object`` hook names the documents and changes it wants in ``custom_data``: ``type``
  and ``action``, each one of Kazoo's names (or ``all``), or a list of them.
* A hook auto-disabled by the delivery workers carries ``pvt_disabled_message``; answers
  show it as ``disable_reason``. Saving the hook enabled again clears it.
* ``PATCH webhooks`` with ``{"data": {"re-enable": true}}`` turns every auto-disabled hook
  of the account back on.
"""

from __future__ import annotations

from typing import Any

from api.documents import Document, DocumentRules
from api.errors import ValidationFailed
from kazoo_tasks.clock import now_gregorian
from kazoo_tasks.docstore import Conflict, DocumentStore, account_db
from kazoo_tasks.docstore.soft_delete import is_deleted
from kazoo_tasks.webhooks import ALL, DISABLED_MESSAGE, OBJECT, OBJECT_ACTIONS, OBJECT_TYPES

REENABLE = "re-enable"
DISABLE_REASON = "disable_reason"
MODIFIERS = {"type": OBJECT_TYPES, "action": OBJECT_ACTIONS}


class WebhookRules(DocumentRules):
    collection_patch = 'Re-enable the auto-disabled hooks: data {"re-enable": true}'

    def prepare(
        self, store: DocumentStore, account_id: str, doc: Document, existing: Document | None
    ) -> Document:
        doc.pop(DISABLE_REASON, None)
        if doc.get("hook") == OBJECT:
            _check_modifiers(doc.get("custom_data") or {})
        if existing and existing.get(DISABLED_MESSAGE) and doc.get("enabled", True) is not False:
            doc[DISABLED_MESSAGE] = None  # re-enabled: the reason goes
        return doc

    def present(self, doc: Document) -> Document:
        reason = doc.get(DISABLED_MESSAGE)
        return {**doc, DISABLE_REASON: reason} if reason else doc

    def patch_collection(self, store: DocumentStore, account_id: str, data: Any) -> Any:
        value = data.get(REENABLE) if isinstance(data, dict) else None
        if value is None:
            message = "re-enable is required to patch collections"
            raise ValidationFailed({REENABLE: {"required": {"message": message}}})
        if value is not True and str(value).lower() != "true":
            enum = {"message": "value not found in enumerated list of values", "target": [True]}
            raise ValidationFailed({REENABLE: {"enum": enum}})
        reenable(store, account_id)
        return "hooks updated"


def _check_modifiers(custom: dict[str, Any]) -> None:
    errors: dict[str, Any] = {}
    for key, allowed in MODIFIERS.items():
        value = custom.get(key)
        if value is None:
            errors[f"custom_data.{key}"] = {"required": {"message": "missing required modifier"}}
            continue
        values = value if isinstance(value, list) else [value]
        if not values or any(v != ALL and v not in allowed for v in values):
            errors[f"custom_data.{key}"] = {
                "enum": {
                    "message": "value not found in enumerated list of values",
                    "target": [ALL, *allowed],
                }
            }
    if errors:
        raise ValidationFailed(errors)


def reenable(store: DocumentStore, account_id: str) -> list[str]:
    """Turn the account's auto-disabled hooks back on; returns their ids."""
    db = account_db(account_id)
    done = []
    for hook in store.find(db, {"pvt_type": "webhook", DISABLED_MESSAGE: {"$exists": True}}):
        while hook is not None and not is_deleted(hook) and hook.get(DISABLED_MESSAGE):
            hook = {k: v for k, v in hook.items() if k != DISABLED_MESSAGE}
            hook.update(enabled=True, pvt_modified=now_gregorian())
            try:
                store.save(db, hook)
                done.append(hook["_id"])
                hook = None
            except Conflict:
                hook = store.get(db, hook["_id"])
    return done


RULES = WebhookRules()
