"""Customer JavaScript run in a sandbox: Kazoo's function documents (``function_js``).

Kazoo runs a function's ``function_js`` as the body of ``function(call) { ... }``
(``new Function('call', body)`` in CouchDB's show function ``functions/wh``) and reads
what it returns as JSON. Here it runs in QuickJS (the ``quickjs`` package) inside the
worker: a fresh context per run (nothing leaks from one call or one account to the
next), no I/O at all (the context has only the language's built-ins: no ``std``, ``os``,
network, timers nor file access), at most :data:`TIME_LIMIT` seconds of CPU (a
``while(true){}`` is interrupted), :data:`MEMORY_LIMIT` bytes of memory and
:data:`STACK_LIMIT` bytes of stack (runaway recursion). The argument and the result
cross the boundary as JSON text only.
"""

from __future__ import annotations

import json
from typing import Any

import quickjs

TIME_LIMIT = 0.1
"""CPU seconds one run may take (compiling, running and serializing its result)."""
MEMORY_LIMIT = 32 * 1024 * 1024
"""Bytes of memory one run may allocate."""
STACK_LIMIT = 256 * 1024
"""Bytes of stack one run may use."""
MAX_RESULT = 256 * 1024
"""Largest result (characters of JSON) taken: a callflow is a few kilobytes."""

_RUN = "(function () { var r = new Function('call', __body)(JSON.parse(__call)); return r === undefined ? undefined : JSON.stringify(r); })()"  # noqa: E501
_COMPILE = "(function () { new Function('call', __body); })()"


_REASONS = {
    "InternalError: interrupted": "time limit exceeded",
    "null": "out of memory (or threw null)",  # QuickJS throws null when it cannot allocate
}


class FunctionFailed(Exception):
    """The function could not run or gave no JSON (the message says why, on one line)."""


def _context() -> quickjs.Context:
    context = quickjs.Context()
    context.set_time_limit(TIME_LIMIT)
    context.set_memory_limit(MEMORY_LIMIT)
    context.set_max_stack_size(STACK_LIMIT)
    return context


def _reason(exc: Exception) -> str:
    """The first line of a JavaScript error ("InternalError: interrupted" for the time
    limit, "InternalError: out of memory", "SyntaxError: ...", the thrown value...)."""
    text = str(exc).strip().splitlines()
    reason = text[0] if text else type(exc).__name__
    return _REASONS.get(reason, reason)


def check_syntax(body: str) -> str | None:
    """Why ``body`` is no JavaScript function body (the syntax error), or None when it
    compiles. QuickJS builds ``new Function`` from the source text, so a body that closes
    the function early (``}); ...; (function () {``) compiles, and what it puts outside
    runs: the check runs in a fresh sandbox under the same limits as a call does."""
    context = _context()
    context.set("__body", body)
    try:
        context.eval(_COMPILE)
    except quickjs.JSException as exc:
        return _reason(exc)
    return None


def run_function(body: str, call: dict[str, Any]) -> Any:
    """What ``function(call) { <body> }`` returns for ``call``, as a JSON value (None when
    it returns nothing); raises :class:`FunctionFailed` when it does not compile, throws,
    exceeds a limit or returns more than :data:`MAX_RESULT` characters of JSON."""
    context = _context()
    context.set("__body", body)
    context.set("__call", json.dumps(call))
    try:
        result = context.eval(_RUN)
    except quickjs.JSException as exc:
        raise FunctionFailed(_reason(exc)) from None
    if result is None:
        return None
    if not isinstance(result, str):  # JSON.stringify of a function or a symbol
        raise FunctionFailed("returned a value JSON cannot represent")
    if len(result) > MAX_RESULT:
        raise FunctionFailed(f"returned more than {MAX_RESULT} characters of JSON")
    return json.loads(result)
