"""``GET /v2/accounts/{account_id}/about`` (Kazoo's ``cb_about``): the Kazoo version whose
API this matches, kazoo-tasks' own version, the runtime's, and the serving process's
memory."""

from __future__ import annotations

import platform
import resource
from typing import Any

from api.context import ApiContext
from api.crud import ACCOUNT_ID_PARAM
from api.http import KAZOO_VERSION, OWN_VERSION
from api.read_routes import read_route
from api.swagger import ErrorDocs, SharedModels, add_model, envelope

ABOUT = {
    "type": "object",
    "properties": {
        "version": {"type": "string", "description": "The Kazoo version whose API this matches"},
        "kazoo_tasks_version": {"type": "string", "description": "kazoo-tasks' own version"},
        "python_version": {"type": "string", "description": "The Python running the API"},
        "used_memory": {
            "type": "integer",
            "description": "Peak memory of this API process (bytes)",
        },
    },
}


def about() -> dict[str, Any]:
    """What ``about`` answers."""
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "version": KAZOO_VERSION,
        "kazoo_tasks_version": OWN_VERSION,
        "python_version": platform.python_version(),
        "used_memory": peak_kib * 1024,
    }


def register(api: Any, context: ApiContext, shared: SharedModels) -> None:
    """Add the ``about`` route."""
    ns = api.namespace("about", path="/accounts/<account_id>/about", description="What this API is")
    model = add_model(api, "AboutEnvelope", envelope(ABOUT))
    errors = ErrorDocs(ns, shared.error)

    read_route(
        ns, errors, "", params={"account_id": ACCOUNT_ID_PARAM}, operation="about",
        description="Versions and the process's memory", model=model,
        read=lambda account_id: about(),
    )  # fmt: skip
