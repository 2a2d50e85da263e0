"""``call_forward``: a feature code that sets the caller's call forwarding (Kazoo's
cf_call_forward).

It changes ``call_forward.enabled`` and ``call_forward.number`` of the caller's owner (a
user), else of the calling device. ``activate`` forwards to the number the feature code
captured (``*72<number>``), else to the one the caller types; ``deactivate`` stops
forwarding; ``update`` changes the number (captured or typed) and nothing else;
``toggle`` activates (with the number already set, if any) or deactivates; ``menu`` says
the state and takes 1 (toggle) or 2 (change the number) until the caller is done. The
caller hears what happened (the number said back), then ``_``. No user or device: the
flow stops. Phones ring the forward number as :mod:`callflow.endpoints` says.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, replace

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.feature_codes import CallerDocument, UpdateSection, prompts, section
from callflow.module import ModuleData
from callflow.outcomes import Continue, Stop
from callflow.prompts import prompt
from callflow.steps import Answer, Collect, Result, Say, Step, StepModule, Steps

ACTIONS = ("activate", "deactivate", "update", "toggle", "menu")
MIN_NUMBER, MAX_NUMBER = 3, 20
"""Lengths of a typed forward number (Kazoo's)."""
NUMBER_TRIES = 3
MENU_ROUNDS = 5
TOGGLE_KEY, CHANGE_NUMBER_KEY = "1", "2"
"""The menu's keys (Kazoo's defaults)."""

Flow = Generator[Step, Result, "Forward | None"]


@dataclass(frozen=True)
class Forward:
    enabled: bool
    number: str


class CallForwardSchema(ModuleData):
    """Kazoo's callflows.call_forward data."""

    action = fields.String(validate=validate.OneOf(ACTIONS))


class CallForward(StepModule):
    """Reads the caller's document, answers, runs the action, saves, says so."""

    data_schema = CallForwardSchema

    def steps(self, ctx: NodeContext) -> Steps:
        found = yield CallerDocument()
        if found.failed:
            ctx.note("no user or device to change")
            yield from prompts("cf-not_available")
            return Stop()
        doc = found.details["doc"]
        settings = section(doc, "call_forward")
        now = Forward(settings.get("enabled") is True, str(settings.get("number") or ""))
        yield Answer()
        capture = str(ctx.call.get("capture_group") or "")
        match ctx.data.get("action"):
            case "activate":
                after = yield from _activate(now, capture)
            case "deactivate":
                after = yield from _deactivate(now)
            case "update":
                after = yield from _update(now, capture)
            case "toggle":
                after = yield from _toggle(now, capture)
            case "menu":
                after = yield from _menu(now, capture)
            case action:
                ctx.note(f"action {action!r}: nothing changed")
                return Continue()
        if after is None:
            return Stop()
        if after != now:
            values = (("enabled", after.enabled), ("number", after.number))
            yield UpdateSection(doc["_id"], "call_forward", values)
        return Continue()


def _number(capture: str) -> Generator[Step, Result, str | None]:
    """The forward number: the captured one, else typed by the caller (None: none)."""
    if capture:
        return capture
    for _ in range(NUMBER_TRIES):
        got = yield Collect(
            max_digits=MAX_NUMBER, timeout=8, interdigit_timeout=3, prompt=prompt("cf-enter_number")
        )
        if got.hung_up or got.timed_out:
            return None
        if len(got.digits) >= MIN_NUMBER:
            yield from prompts("vm-saved")
            return got.digits
    return None


def _forwarded_to(number: str) -> Generator[Step, Result, None]:
    yield from prompts("cf-now_forwarded_to")
    yield Say(number, type="name_spelled", method="pronounced")


def _activate(now: Forward, capture: str) -> Flow:
    number = yield from _number(capture)
    if number is None:
        return None
    yield from _forwarded_to(number)
    return Forward(True, number)


def _deactivate(now: Forward) -> Flow:
    yield from prompts("cf-disabled")
    return replace(now, enabled=False)


def _update(now: Forward, capture: str) -> Flow:
    number = yield from _number(capture)
    return None if number is None else replace(now, number=number)


def _toggle(now: Forward, capture: str) -> Flow:
    if now.enabled:
        return (yield from _deactivate(now))
    if now.number:
        yield from _forwarded_to(now.number)
        return replace(now, enabled=True)
    return (yield from _activate(now, capture))


def _menu(now: Forward, capture: str) -> Flow:
    for _ in range(MENU_ROUNDS):
        menu = prompt("cf-enabled_menu" if now.enabled else "cf-disabled_menu")
        got = yield Collect(max_digits=1, timeout=8, prompt=menu)
        if got.hung_up:
            return None
        if got.timed_out:
            return now
        if got.digits == TOGGLE_KEY:
            changed = yield from _toggle(now, capture)
        elif got.digits == CHANGE_NUMBER_KEY:
            changed = yield from _update(now, "")
        else:
            continue
        if changed is None:
            return None
        now = changed
    return now
