"""What the ACDc callflow modules share: the call's account's call center, and the
schema field of a list of skills."""

from __future__ import annotations

from marshmallow import ValidationError, fields

from acdc import skills
from acdc.distributor import Distributor
from acdc.queue import Queues
from callflow.context import NodeContext


def center(ctx: NodeContext) -> Distributor:
    """The call's account's queues and offers (no delivery: offers are made by tasks)."""
    client, settings = ctx.redis_client(), ctx.settings
    queues = Queues(client, settings.namespace, str(ctx.call["account_id"]))
    return Distributor(queues, grace=settings.acdc_offer_grace)


def _skill_name(name: str) -> None:
    if not skills.valid_skill(name):
        raise ValidationError("a skill is a non-empty name without a comma")


def skill_list(description: str) -> fields.List:
    """A module data field: a list of skill names (:mod:`acdc.skills`), empty by default."""
    return fields.List(
        fields.String(validate=_skill_name),
        load_default=list,
        metadata={"description": description},
    )
