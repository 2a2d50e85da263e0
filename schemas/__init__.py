"""Marshmallow schemas of every stored document: one source for validation and the API model.

:data:`DOCUMENT_SCHEMAS` maps each document kind (as the API names its collection) to its
schema; each schema's ``pvt_type`` is the ``pvt_type`` of the documents it validates.
"""

from __future__ import annotations

from schemas.accounts import AccountSchema
from schemas.agents import AgentSchema
from schemas.base import DocumentSchema
from schemas.callflows import CallflowSchema
from schemas.cdrs import CdrSchema
from schemas.conferences import ConferenceSchema
from schemas.devices import DeviceSchema
from schemas.directories import DirectorySchema
from schemas.errors import kazoo_errors
from schemas.functions import FunctionSchema
from schemas.groups import GroupSchema
from schemas.lists import ListEntrySchema, ListSchema
from schemas.media import MediaSchema
from schemas.menus import MenuSchema
from schemas.queues import QueueSchema
from schemas.resources import ResourceSchema
from schemas.temporal_rules import TemporalRuleSchema
from schemas.temporal_rules_sets import TemporalRuleSetSchema
from schemas.users import UserSchema
from schemas.vmboxes import VmboxSchema
from schemas.webhooks import WebhookSchema

DOCUMENT_SCHEMAS: dict[str, type[DocumentSchema]] = {
    "accounts": AccountSchema,
    "users": UserSchema,
    "devices": DeviceSchema,
    "callflows": CallflowSchema,
    "vmboxes": VmboxSchema,
    "media": MediaSchema,
    "menus": MenuSchema,
    "temporal_rules": TemporalRuleSchema,
    "temporal_rules_sets": TemporalRuleSetSchema,
    "groups": GroupSchema,
    "conferences": ConferenceSchema,
    "queues": QueueSchema,
    "webhooks": WebhookSchema,
    "directories": DirectorySchema,
    "cdrs": CdrSchema,
    "resources": ResourceSchema,
    "lists": ListSchema,
    "list_entries": ListEntrySchema,
    "functions": FunctionSchema,
}

__all__ = ["DOCUMENT_SCHEMAS", "AgentSchema", "DocumentSchema", "kazoo_errors"]
