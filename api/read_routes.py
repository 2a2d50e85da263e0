"""A read-only route in one call: ``GET <path>`` behind the account-scoped checks,
answering what a function reads, in Kazoo's envelope. The live views (agents, queues),
``about`` and the webhook attempt listings are such routes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask_restx import Namespace, Resource

from api.crud import SCOPED
from api.http import ok
from api.swagger import ErrorDocs


def read_route(
    ns: Namespace,
    errors: ErrorDocs,
    path: str,
    *,
    params: dict[str, str],
    operation: str,
    description: str,
    read: Callable[..., Any],
    model: Any = None,
    answers: Sequence[int | tuple[int, str]] = (401, 403),
    listing: bool = False,
) -> None:
    """Add ``GET path`` to ``ns``: ``read(**path parameters)`` is the answer's ``data``
    (``listing``: a list, with its ``page_size``). ``operation`` is its Swagger id,
    ``description`` and ``model`` its 200 answer, ``answers`` its documented errors."""

    def get(self: Resource, **ids: str) -> Any:
        found = read(**ids)
        return ok(found, extra={"page_size": len(found)}) if listing else ok(found)

    get = ns.doc(operation)(ns.response(200, description, model)(get))
    name = "".join(word.title() for word in operation.split("_"))
    resource = type(name, (Resource,), {"method_decorators": SCOPED, "get": get})
    ns.route(path)(ns.doc(params=params)(errors(*answers)(resource)))
