"""``function``: a function document's JavaScript makes the callflow the call branches to
(Kazoo's cf_function).

The node's ``id`` names a ``function`` document of the account (the ``functions`` API).
Its ``function_js`` runs as the body of ``function(call) { ... }``, ``call`` being the
call's data as pivot sends it (Kazoo's request parameters,
:func:`~callflow.call_params.request_params`: ``Caller-ID-Name``, ``Caller-ID-Number``,
``To``, ``Call-ID``...). It runs in the worker, sandboxed (:mod:`kazoo_tasks.js_sandbox`:
no I/O, a CPU time, memory and stack limit). What it returns must be a flow node
(``module``, ``data``, ``children``), validated like a saved callflow; the call then
branches to it (Kazoo's ``cf_exe:branch``: this node's ``_`` resumes when that flow
stops). Anything else goes to ``_``, with the reason in the call's trace and the log: no
``id``, no such document, a disabled function (``enabled: false``), a language other
than JavaScript, a function that does not compile, throws, runs out of time or memory,
or returns something that is not a valid flow.

Kazoo adds the TwiML user variables (``kzt_translator:get_user_vars``, set by TwiML's
``<Set>``) to the parameters; our TwiML subset has no such verb, so a call has none.
"""

from __future__ import annotations

import json

from marshmallow import ValidationError

from callflow.call_params import request_params
from callflow.context import NodeContext
from callflow.flow_tree import load_node
from callflow.module import CallflowModule, ModuleData
from callflow.modules.fields import document_id
from callflow.outcomes import BranchWith, Continue, Outcome
from kazoo_tasks.js_sandbox import FunctionFailed, run_function

PVT_TYPE = "function"
"""The ``pvt_type`` of function documents."""


class FunctionSchema(ModuleData):
    """Kazoo's callflows.function data."""

    id = document_id("the function document")


class Function(CallflowModule):
    """Runs the function and branches to the flow it returns (else ``_``)."""

    data_schema = FunctionSchema

    def start(self, ctx: NodeContext) -> Outcome:
        function_id = ctx.data.get("id")
        if not function_id:
            return _give_up(ctx, "function: no id")
        doc = ctx.document(function_id)
        if doc is None or doc.get("pvt_type") != PVT_TYPE:
            return _give_up(ctx, f"function {function_id}: no such function")
        if doc.get("enabled") is False:
            return _give_up(ctx, f"function {function_id}: disabled")
        language = str(doc.get("language_pack") or "javascript")
        if not language.lower().startswith("javascript"):
            return _give_up(ctx, f"function {function_id}: language {language!r} not supported")
        try:
            result = run_function(str(doc.get("function_js") or ""), request_params(ctx, "kazoo"))
            flow = load_node(result)
        except FunctionFailed as failed:
            return _give_up(ctx, f"function {function_id} failed: {failed}")
        except ValidationError as invalid:
            errors = json.dumps(invalid.messages)
            return _give_up(ctx, f"function {function_id} returned no valid flow: {errors}")
        ctx.note(f"function {function_id}: branching to {flow['module']}")
        return BranchWith(flow, name="function")


def _give_up(ctx: NodeContext, reason: str) -> Outcome:
    """Log and trace why the function gave no flow; go on to ``_`` (Kazoo's continue)."""
    ctx.log.info("%s: continuing", reason)
    ctx.note(reason)
    return Continue()
