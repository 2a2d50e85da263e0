"""What the ACDc callflow modules share: the call's account's call center."""

from __future__ import annotations

from acdc.distributor import Distributor
from acdc.queue import Queues
from callflow.context import NodeContext


def center(ctx: NodeContext) -> Distributor:
    """The call's account's queues and offers (no delivery: offers are made by tasks)."""
    client, settings = ctx.redis_client(), ctx.settings
    queues = Queues(client, settings.namespace, str(ctx.call["account_id"]))
    return Distributor(queues, grace=settings.acdc_offer_grace)
