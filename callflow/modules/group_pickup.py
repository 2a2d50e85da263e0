"""``group_pickup``: answer a call ringing a device, a user's devices or a group's
(Kazoo's cf_group_pickup); see :mod:`callflow.pickup`. With no ``approved_*`` key every
caller may pick up."""

from __future__ import annotations

from callflow.approvals import EVERYBODY
from callflow.pickup import PickupModule


class GroupPickup(PickupModule):
    """Kazoo's group_pickup: anyone may, unless an ``approved_*`` key says who."""

    without_key = EVERYBODY
