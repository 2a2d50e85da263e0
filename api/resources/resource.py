"""``/v2/accounts/{account_id}/resources`` (an account's carriers) and ``/v2/resources``
(the system's, for system admins only): the generic CRUD resource in both scopes; Kazoo's
older names for the same documents, ``/v2/accounts/{account_id}/local_resources`` and
``/v2/global_resources``, too."""

from __future__ import annotations

import dataclasses

from api.context import ApiContext
from api.crud import SYSTEM_SCOPE, CrudRoutes, register_crud
from api.documents import DocumentService, ResourceSpec, SystemDocuments
from api.resources import schema, service
from api.swagger import SharedModels

SPEC = ResourceSpec("resources", schema.DOCUMENT, schema.SUMMARY, service.RULES)


LOCAL = dataclasses.replace(SPEC, name="local_resources")
GLOBAL = dataclasses.replace(SPEC, name="global_resources")


def extend(routes: CrudRoutes, context: ApiContext, shared: SharedModels) -> None:
    """The system's resources at ``/v2/resources``, and Kazoo's older names."""
    api, store, example = routes.api, context.store, schema.EXAMPLE
    system = SystemDocuments(store, SPEC, service.GLOBAL_DB)
    register_crud(api, SPEC, system, shared, example, SYSTEM_SCOPE)
    register_crud(api, LOCAL, DocumentService(store, LOCAL), shared, example)
    older_system = SystemDocuments(store, GLOBAL, service.GLOBAL_DB)
    register_crud(api, GLOBAL, older_system, shared, example, SYSTEM_SCOPE)
