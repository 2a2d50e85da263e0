"""The plugin contract of a callflow module (an action a callflow node names).

A module is a class registered under the entry-point group :data:`ENTRY_POINT_GROUP`
(``name = "package.module:Class"``); the node's ``module`` key is the entry-point name.
``data_schema`` is the marshmallow schema its node ``data`` must satisfy: the API
validates every node of a callflow against it when the callflow is saved, and the engine
loads the node data through it before running the module.

At run time the navigator (:mod:`callflow.exe`) calls :meth:`CallflowModule.start` when
the node is reached and :meth:`CallflowModule.on_event` with each later event of the call
while the node waits. Both return an :mod:`~callflow.outcomes` value. A module instance
is shared by every call a worker runs: keep per-call data in ``ctx.state``, never on
``self``. docs/callflows.md is the guide for module authors.
"""

from __future__ import annotations

from typing import ClassVar

from marshmallow import INCLUDE, Schema, fields

from callflow.context import NodeContext
from callflow.outcomes import Continue, Outcome, Wait
from kazoo_tasks.events import CallEvent
from kazoo_tasks.loose_types import LooseSchema

ENTRY_POINT_GROUP = "kazoo_tasks.callflow_modules"


class ModuleData(LooseSchema):
    """Base of every module's data schema: Kazoo's common ``skip_module`` key, and any key
    the schema does not name is kept as it is (Kazoo's schemas allow extra keys, and a
    valid Kazoo callflow must load); the engine hands a module only the named ones. Loose
    types are taken as in API documents (:class:`~kazoo_tasks.loose_types.LooseSchema`:
    ``"timeout": "10000"``, ``"enabled": "true"``), when the callflow is saved and when
    its node runs."""

    class Meta:
        unknown = INCLUDE

    skip_module = fields.Boolean(
        metadata={"description": "skip this node: go straight to its `_` child"}
    )


class CallflowModule:
    """Base of every callflow module; subclasses set ``data_schema`` and the handlers."""

    data_schema: ClassVar[type[Schema]] = ModuleData

    def start(self, ctx: NodeContext) -> Outcome:
        """The node is reached: send commands, then continue or wait."""
        raise NotImplementedError

    def on_event(self, ctx: NodeContext, event: CallEvent) -> Outcome:
        """An event of the call arrived while this node waits (default: keep waiting)."""
        return Wait()


class CommandModule(CallflowModule):
    """A module that sends its commands, waits for the last to complete, then moves on.

    Subclasses implement :meth:`send` (call ``ctx.execute`` / ``ctx.hangup``) and may
    override :meth:`done` (default: continue to ``_``) and :meth:`failed` (default: the
    same, as Kazoo does when a command fails).
    """

    def send(self, ctx: NodeContext) -> None:
        """Send this node's commands."""
        raise NotImplementedError

    def start(self, ctx: NodeContext) -> Outcome:
        before = len(ctx.call["node_commands"])
        self.send(ctx)
        sent = ctx.call["node_commands"][before:]
        if not sent:
            return self.done(ctx)
        ctx.state["wait_for"] = sent[-1]
        return Wait()

    def on_event(self, ctx: NodeContext, event: CallEvent) -> Outcome:
        if ctx.completed(event) != ctx.state.get("wait_for"):
            return Wait()
        if event["name"] == "COMMAND_ERROR":
            ctx.log.warning("command refused: %s", event.get("application_response", ""))
            return self.failed(ctx)
        return self.done(ctx)

    def done(self, ctx: NodeContext) -> Outcome:
        """The last command completed."""
        return Continue()

    def failed(self, ctx: NodeContext) -> Outcome:
        """The last command was refused by ecallmgr."""
        return Continue()
