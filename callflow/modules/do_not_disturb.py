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
from callflow.feature_codes import CallerDocument, UpdateSection, prompts, section
from callflow.module import ModuleData
from callflow.modules.fields import document_id
from callflow.outcomes import Continue, Stop
from callflow.steps import Answer, StepModule, Steps

ACTIONS = ("activate", "deactivate", "toggle")


class DoNotDisturbSchema(ModuleData):
    """Kazoo's callflows.do_not_disturb data."""

    action = fields.String(validate=validate.OneOf(ACTIONS))
    id = document_id("the user or device whose do-not-disturb changes")


class DoNotDisturb(StepModule):
    """Reads the document, answers, sets ``do_not_disturb.enabled``, says so."""

    data_schema = DoNotDisturbSchema

    def steps(self, ctx: NodeContext) -> Steps:
        found = yield CallerDocument(ctx.data.get("id") or "")
        if found.failed:
            ctx.note("no user or device to change")
            yield from prompts("dnd-not_available")
            return Stop()
        doc = found.details["doc"]
        enabled = section(doc, "do_not_disturb").get("enabled") is True
        yield Answer()
        action = ctx.data.get("action")
        if action == "toggle":
            action = "deactivate" if enabled else "activate"
        if action not in ("activate", "deactivate"):
            ctx.note(f"action {action!r}: nothing changed")
            yield from prompts("dnd-not_available")
            return Continue()
        wanted = action == "activate"
        if wanted != enabled:
            saved = yield UpdateSection(doc["_id"], "do_not_disturb", (("enabled", wanted),))
            if saved.failed:
                return Continue()
        yield from prompts("dnd-activated" if wanted else "dnd-deactivated")
        return Continue()
