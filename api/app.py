"""The Crossbar app: ``create_app(settings)`` builds the Flask app serving ``/v2``.

OpenAPI document at ``/v2/swagger.json``, Swagger UI at ``/v2/docs``; every answer is in
Kazoo's envelope. Resources are listed in :data:`RESOURCES`; each is the generic CRUD
resource of its ``SPEC`` plus, when its module has one, its own ``extend`` routes.
"""

from __future__ import annotations

import importlib

from flask import Blueprint, Flask

from api import metrics, request_log
from api.about import resource as about_resource
from api.accounts import resource as accounts_resource
from api.agents import resource as agents_resource
from api.auth import resource as auth_resource
from api.call_limits import resource as limits_resource
from api.channels import resource as channels_resource
from api.channels.service import ChannelService
from api.context import EXTENSION, ApiContext
from api.crud import register_crud
from api.documents import DocumentService
from api.http import KazooApi, check_url, error_response
from api.metaflows import resource as metaflows_resource
from api.phone_numbers import resource as phone_numbers_resource
from api.ratelimit import auth_limit, make_limiter
from api.registrations import resource as registrations_resource
from api.revocation import Revocations
from api.swagger import shared_models
from api.switch import http as switch_http
from api.tokens import TokenSigner, signing_secret
from kazoo_tasks import services
from kazoo_tasks.config import Settings, get_settings
from kazoo_tasks.docstore import ACCOUNTS_DB, DocumentStore
from kazoo_tasks.metrics import AccountCallsGauge

RESOURCES = (
    "users",
    "devices",
    "callflows",
    "vmboxes",
    "media",
    "menus",
    "temporal_rules",
    "temporal_rules_sets",
    "groups",
    "conferences",
    "queues",
    "webhooks",
    "cdrs",
    "recordings",
    "acdc_call_stats",
    "directories",
    "resources",
    "lists",
    "functions",
)
"""Account-scoped document collections: ``api.<name>.resource`` defines ``SPEC``."""

AUTHORIZATIONS = {
    "X-Auth-Token": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Auth-Token",
        "description": "The auth_token returned by PUT /v2/api_auth or /v2/user_auth",
    }
}


def create_app(settings: Settings | None = None, store: DocumentStore | None = None) -> Flask:
    """The API app for ``settings`` (environment settings by default)."""
    settings = settings or get_settings()
    store = store or services.document_store(settings)
    store.ensure_db(ACCOUNTS_DB)
    app = Flask("kazoo_tasks.api")
    app.config.update(
        RESTX_MASK_SWAGGER=False, RESTX_ERROR_404_HELP=False, SWAGGER_UI_DOC_EXPANSION="list"
    )
    client = services.redis_client(settings)
    context = ApiContext(
        settings=settings,
        store=store,
        redis=client,
        tokens=TokenSigner(signing_secret(settings), settings.token_ttl),
        revocations=Revocations(client, settings.namespace, settings.token_ttl),
    )
    app.extensions[EXTENSION] = context
    live_calls = ChannelService(client, settings, store)
    metrics.register(app, AccountCallsGauge(live_calls.count_by_account).refresh)
    request_log.register(app)
    limiter = make_limiter(app, settings)

    blueprint = Blueprint("api", __name__, url_prefix="/v2")
    api = KazooApi(
        blueprint,
        version="2",
        title="kazoo-tasks Crossbar API",
        description="Kazoo's Crossbar API: accounts, users, devices, callflows and more. "
        "Log in with PUT /v2/api_auth, then press Authorize and paste the auth_token.",
        doc="/docs",
        authorizations=AUTHORIZATIONS,
        security="X-Auth-Token",
    )
    shared = shared_models(api)
    auth_resource.register(api, context, shared, auth_limit(limiter, settings))
    accounts_resource.register(api, context, shared)
    for name in RESOURCES:
        module = importlib.import_module(f"api.{name}.resource")
        service = DocumentService(store, module.SPEC)
        context.documents[name] = service
        example = importlib.import_module(f"api.{name}.schema").EXAMPLE
        routes = register_crud(api, module.SPEC, service, shared, example)
        extend = getattr(module, "extend", None)
        if extend is not None:
            extend(routes, context, shared)
    channels_resource.register(api, context, shared)
    agents_resource.register(api, context, shared)
    registrations_resource.register(api, context, shared)
    about_resource.register(api, context, shared)
    limits_resource.register(api, context, shared)
    metaflows_resource.register(api, context, shared)
    phone_numbers_resource.register(api, context, shared)
    app.register_blueprint(blueprint)
    switch_http.register(app, settings, store)
    app.before_request(check_url)
    app.register_error_handler(Exception, error_response)  # outside the resources too
    return app
