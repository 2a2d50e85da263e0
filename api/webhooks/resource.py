"""``/v2/accounts/{account_id}/webhooks``: the generic CRUD resource (PATCH on the
collection re-enables auto-disabled hooks), plus Kazoo's attempt listings:
``webhooks/attempts`` (every hook of the account) and ``webhooks/{id}/attempts``."""

from __future__ import annotations

from typing import Any

from api.context import ApiContext
from api.crud import ACCOUNT_ID_PARAM, CrudRoutes
from api.documents import ResourceSpec
from api.read_routes import read_route
from api.swagger import ErrorDocs, SharedModels, add_model, envelope
from api.webhooks import schema, service
from kazoo_tasks.webhooks.attempts import Attempts

SPEC = ResourceSpec("webhooks", schema.DOCUMENT, schema.SUMMARY, service.RULES)
ATTEMPT = {
    "type": "object",
    "description": "One try to deliver an event (newest first)",
    "properties": {
        "hook_id": {"type": "string"},
        "hook_event": {"type": "string"},
        "event_id": {"type": "string"},
        "call_id": {"type": "string"},
        "uri": {"type": "string"},
        "method": {"type": "string"},
        "result": {"type": "string", "enum": ["success", "failure"]},
        "reason": {"type": "string", "description": "bad response code, kazoo http client error"},
        "client_error": {"type": "string", "description": "what the HTTP client met"},
        "resp_status_code": {"type": "string"},
        "try": {"type": "integer"},
        "retries_left": {"type": "integer"},
        "timestamp": {"type": "integer", "description": "gregorian seconds"},
    },
}


def extend(routes: CrudRoutes, context: ApiContext, shared: SharedModels) -> None:
    """Add the attempts routes."""
    ns = routes.namespace
    attempts = Attempts(context.redis, context.settings.namespace)
    listing = add_model(
        routes.api, "WebhookAttemptsEnvelope", envelope({"type": "array", "items": ATTEMPT})
    )
    errors = ErrorDocs(ns, shared.error)

    read_route(
        ns, errors, "/attempts", params={"account_id": ACCOUNT_ID_PARAM},
        operation="list_webhook_attempts", model=listing, listing=True,
        description="The account's last delivery attempts, newest first", read=attempts.list,
    )  # fmt: skip

    def hook_attempts(account_id: str, doc_id: str) -> list[dict[str, Any]]:
        routes.service.read(account_id, doc_id)  # 404 for no such hook
        return attempts.list(account_id, doc_id)

    hook = {"account_id": ACCOUNT_ID_PARAM, "doc_id": "Webhook id"}
    read_route(
        ns, errors, "/<doc_id>/attempts", params=hook,
        operation="list_webhook_attempts_of_hook", model=listing, listing=True,
        description="The hook's last delivery attempts, newest first", read=hook_attempts,
        answers=(401, 403, 404),
    )  # fmt: skip
