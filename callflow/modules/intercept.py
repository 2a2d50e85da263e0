"""``intercept``: answer a call ringing a device, a user's devices or a group's (Kazoo's
cf_intercept); see :mod:`callflow.pickup`. With no ``approved_*`` key only one of the
watched devices may intercept (Kazoo's "same user" / "same group" check)."""

from __future__ import annotations

from callflow.approvals import WATCHED
from callflow.pickup import PickupModule


class Intercept(PickupModule):
    """Kazoo's intercept: a watched device, unless an ``approved_*`` key says who."""

    without_key = WATCHED
