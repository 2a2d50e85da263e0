"""The JavaScript sandbox of function documents (kazoo_tasks/js_sandbox.py), on the real
QuickJS engine: the body runs as ``function(call) { ... }`` with the call's data, returns
JSON; nothing outside the language is reachable, nothing survives from one run to the
next, and every limit (CPU time, memory, stack, result size) ends the run with a reason."""

from __future__ import annotations

import pytest

from kazoo_tasks.js_sandbox import MAX_RESULT, FunctionFailed, check_syntax, run_function


def test_given_kazoos_example_when_run_then_it_returns_the_flow_with_the_callers_name() -> None:
    body = (
        "return {'module':'tts', 'data':{'text':'Thanks for calling us ' + "
        "call['Caller-ID-Name']}};"
    )

    result = run_function(body, {"Caller-ID-Name": "Bob", "Digits": {"default": "12"}})

    assert result == {"module": "tts", "data": {"text": "Thanks for calling us Bob"}}
    assert run_function("return call.Digits.default;", {"Digits": {"default": "12"}}) == "12"
    assert run_function("var x = 1;", {}) is None


def test_given_kazoos_dates_example_when_run_then_it_says_what_day_it_is() -> None:
    body = (
        "var d = new Date(); var days = ['Sunday','Monday','Tuesday','Wednesday','Thursday',"
        "'Friday','Saturday']; return {'module':'tts', 'data':{'text':days[d.getDay()] + "
        "' fun day!'}};"
    )

    result = run_function(body, {})

    day, _, rest = result["data"]["text"].partition(" ")
    assert result["module"] == "tts" and rest == "fun day!"
    assert day in ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


@pytest.mark.parametrize(
    "name", ["require", "std", "os", "fetch", "XMLHttpRequest", "setTimeout", "print", "scriptArgs"]
)
def test_given_the_sandbox_then_nothing_but_the_language_is_there(name: str) -> None:
    assert run_function(f"return typeof {name};", {}) == "undefined"


def test_given_a_run_that_leaves_globals_then_the_next_run_does_not_see_them() -> None:
    run_function("globalThis.leak = 'secret'; Object.prototype.polluted = 1; return null;", {})

    assert run_function("return [typeof leak, typeof ({}).polluted];", {}) == [
        "undefined",
        "undefined",
    ]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("while (true) {}", "time limit exceeded"),
        ("var s = 'x'; while (true) { s = s + s; }", "InternalError: out of memory"),
        ("function f() { return f() + 1; } return f();", "InternalError: stack overflow"),
        ("throw new TypeError('nope');", "TypeError: nope"),
        ("return undefinedThing.x;", "ReferenceError: 'undefinedThing' is not defined"),
        ("return {", "SyntaxError"),
        (f"return 'x'.repeat({MAX_RESULT + 1});", f"returned more than {MAX_RESULT} characters"),
    ],
    ids=["loop", "memory", "recursion", "throws", "reference", "syntax", "result size"],
)
def test_given_a_run_past_a_limit_or_failing_then_it_fails_with_the_reason(
    body: str, reason: str
) -> None:
    with pytest.raises(FunctionFailed) as failed:
        run_function(body, {})

    assert str(failed.value).startswith(reason), str(failed.value)
    assert "\n" not in str(failed.value)


def test_given_a_body_when_checked_then_only_syntax_errors_are_reported() -> None:
    assert check_syntax("return call['To'];") is None
    assert check_syntax("while (true) {}") is None  # compiled, never run
    assert (check_syntax("return {") or "").startswith("SyntaxError")


def test_given_a_body_that_closes_the_function_early_when_checked_then_the_limits_hold() -> None:
    # QuickJS's `new Function` runs what such a body puts outside the function
    assert check_syntax("}); while (true) {} (function () {") == "time limit exceeded"
    assert run_function("}); globalThis.leak = 1; (function () {", {}) is None
    assert run_function("return typeof leak;", {}) == "undefined"
