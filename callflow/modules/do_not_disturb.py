"""``do_not_disturb``: a feature code that turns do-not-disturb on or off (Kazoo's
cf_do_not_disturb).

It changes ``do_not_disturb.enabled`` of the document ``id`` names (a user or a device of
the account), else of the caller's owner, else of the calling device: ``activate``,
``deactivate`` or ``toggle``. The call is answered and hears "do not disturb activated"
(or cancelled); then ``_``. No such document: the flow stops. A device whose owner or
itself is on do-not-disturb is not rung (:func:`callflow.endpoints.do_not_disturb`).
"""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.feature_codes import CallerDocument, SwitchFeature
from callflow.module import ModuleData
from callflow.modules.fields import document_id


class DoNotDisturbSchema(ModuleData):
    """Kazoo's callflows.do_not_disturb data."""

    action = fields.String(validate=validate.OneOf(["activate", "deactivate", "toggle"]))
    id = document_id("the user or device whose do-not-disturb changes")


class DoNotDisturb(SwitchFeature):
    """Sets ``do_not_disturb.enabled`` and says so."""

    data_schema = DoNotDisturbSchema
    key = "do_not_disturb"
    on_prompt, off_prompt = "dnd-activated", "dnd-deactivated"
    unavailable_prompt = "dnd-not_available"

    def document(self, ctx: NodeContext) -> CallerDocument:
        return CallerDocument(ctx.data.get("id") or "")
