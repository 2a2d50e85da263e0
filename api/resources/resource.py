"""``/v2/accounts/{account_id}/resources`` (an account's carriers) and ``/v2/resources``
(the system's, for system admins only): the generic CRUD resource in both scopes."""

from __future__ import annotations

from api.context import ApiContext
from api.crud import SYSTEM_SCOPE, CrudRoutes, register_crud
from api.documents import ResourceSpec, SystemDocuments
from api.resources import schema, service
from api.swagger import SharedModels

SPEC = ResourceSpec("resources", schema.DOCUMENT, schema.SUMMARY, service.RULES)


def extend(routes: CrudRoutes, context: ApiContext, shared: SharedModels) -> None:
    """The system's resources at ``/v2/resources``."""
    documents = SystemDocuments(context.store, SPEC, service.GLOBAL_DB)
    register_crud(routes.api, SPEC, documents, shared, schema.EXAMPLE, SYSTEM_SCOPE)
