"""``hotdesk``: a user logs in to (or out of) the phone she calls from (Kazoo's cf_hotdesk).

The user is ``id`` (a user id), else, to log out, the caller's owner, else the one whose
``hotdesk.id`` the caller types (``hotdesk-enter_id``, 3 tries). Her ``hotdesk``
settings decide the rest, as in Kazoo: ``require_pin`` asks ``hotdesk.pin``
(``hotdesk-enter_pin``, 3 tries, then ``hotdesk-abort``); ``login`` writes
``hotdesk.users.<user id>: {}`` on the calling device and, unless
``keep_logged_in_elsewhere``, removes her from every other device first; ``logout``
removes her from every device (with ``keep_logged_in_elsewhere``, from the calling one
only); ``toggle`` logs in when she is on no device, else out; ``bridge`` rings the
devices she is logged in to when ``hotdesk.enabled`` (the cause's child on a failure).
Then ``_``. ``GET /v2/accounts/{id}/users/{id}/hotdesks`` lists her devices, and
ringing her rings them (:meth:`callflow.endpoints.EndpointReader.user`).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.feature_codes import DEVICE, OWNER, prompts, section
from callflow.hotdesks import hotdesk_devices, set_seat, user_by_hotdesk_id
from callflow.legs import Bridge, failure_child, step_bridge_result
from callflow.module import ModuleData
from callflow.outcomes import Continue, Outcome
from callflow.prompts import prompt
from callflow.steps import (
    ERROR,
    NOT_FOUND,
    Answer,
    Collect,
    Result,
    Step,
    StepModule,
    Steps,
)

ACTIONS = ("logout", "login", "toggle", "bridge")
TRIES = 3
MAX_ID_DIGITS = 10
MAX_PIN_DIGITS = 6
"""Kazoo's defaults (``max_hotdesk_id_length``, ``max_pin_length``)."""
RING_SECONDS = 20


class HotdeskData(ModuleData):
    """Kazoo's callflows.hotdesk data."""

    action = fields.String(validate=validate.OneOf(ACTIONS))
    id = fields.String(validate=validate.Length(min=1, max=128))
    interdigit_timeout = fields.Integer(validate=validate.Range(min=1, max=60))


@dataclass(frozen=True)
class Profile(Step):
    """The user's hotdesk profile, by user id or by ``hotdesk.id``: ``details`` hold
    ``user_id``, ``hotdesk`` (her settings) and ``devices`` (where she is logged in)."""

    user_id: str = ""
    hotdesk_id: str = ""

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        account = str(ctx.call["account_id"])
        store = ctx.documents()
        if self.user_id:
            user = ctx.document(self.user_id)
            user = dict(user) if user is not None and user.get("pvt_type") == "user" else None
        else:
            user = user_by_hotdesk_id(store, account, self.hotdesk_id)
        if user is None:
            return Result(ERROR, response=NOT_FOUND)
        devices = [d["_id"] for d in hotdesk_devices(store, account, user["_id"])]
        details = {"user_id": user["_id"], "hotdesk": section(user, "hotdesk"), "devices": devices}
        return Result(details=details)


@dataclass(frozen=True)
class Seat(Step):
    """Log user ``user_id`` in to (``seated``) or out of device ``device_id``."""

    device_id: str
    user_id: str
    seated: bool

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        store = ctx.documents()
        account = str(ctx.call["account_id"])
        if set_seat(store, account, self.device_id, self.user_id, self.seated) is None:
            return Result(ERROR, response=NOT_FOUND)
        ctx.note(f"{self.user_id} {'in to' if self.seated else 'out of'} {self.device_id}")
        return Result()


class Hotdesk(StepModule):
    """Finds the user, checks her PIN, logs her in or out (see the module documentation)."""

    data_schema = HotdeskData

    def steps(self, ctx: NodeContext) -> Steps:
        action = ctx.data.get("action")
        if action is None:
            ctx.note("no action")
            return Continue()
        profile = yield from _profile(ctx, action)
        if profile is None:
            yield from prompts("hotdesk-abort")
            return Continue()
        user_id, settings, devices = profile["user_id"], profile["hotdesk"], profile["devices"]
        if action == "toggle":
            action = "logout" if devices else "login"
        if action == "bridge":
            return (yield from _bridge(ctx, settings, devices))
        yield Answer()
        if action == "login":
            yield from _login(ctx, user_id, settings, devices)
        else:
            yield from _logout(ctx, user_id, settings, devices)
        return Continue()


def _entry(ctx: NodeContext, prompt_name: str, max_digits: int, secret: bool = False) -> Collect:
    """What the caller types after Kazoo's prompt ``prompt_name`` (``#`` ends it)."""
    return Collect(
        max_digits=max_digits,
        timeout=5,
        interdigit_timeout=ctx.data.get("interdigit_timeout") or 2,
        prompt=prompt(prompt_name),
        secret=secret,
    )


def _profile(ctx: NodeContext, action: str) -> Generator[Step, Result, dict[str, Any] | None]:
    user_id = ctx.data.get("id") or ""
    if not user_id and action == "logout":
        user_id = str(ctx.call["ccvs"].get(OWNER) or "")
    if user_id:
        found = yield Profile(user_id=user_id)
        return None if found.failed else found.details
    yield Answer()
    for _ in range(TRIES):
        typed = yield _entry(ctx, "hotdesk-enter_id", MAX_ID_DIGITS)
        if typed.hung_up:
            return None
        if typed.digits:
            found = yield Profile(hotdesk_id=typed.digits)
            if not found.failed:
                return found.details
            yield from prompts("hotdesk-invalid_entry")
    return None


def _pin_ok(ctx: NodeContext, settings: dict[str, Any]) -> Generator[Step, Result, bool]:
    if not settings.get("require_pin"):
        return True
    for _ in range(TRIES):
        typed = yield _entry(ctx, "hotdesk-enter_pin", MAX_PIN_DIGITS, secret=True)
        if typed.hung_up:
            return False
        if typed.digits and typed.digits == str(settings.get("pin") or ""):
            return True
        yield from prompts("hotdesk-invalid_entry")
    return False


def _login(
    ctx: NodeContext, user_id: str, settings: dict[str, Any], devices: list[str]
) -> Generator[Step, Result, None]:
    if not (yield from _pin_ok(ctx, settings)):
        yield from prompts("hotdesk-abort", "vm-goodbye")
        return
    if not settings.get("keep_logged_in_elsewhere"):
        for device in devices:
            yield Seat(device, user_id, False)
    caller = str(ctx.call["ccvs"].get(DEVICE) or "")
    seated = (yield Seat(caller, user_id, True)) if caller else Result(ERROR)
    if seated.failed:
        yield from prompts("hotdesk-abort", "vm-goodbye")
        return
    yield from prompts("hotdesk-logged_in", "vm-goodbye")


def _logout(
    ctx: NodeContext, user_id: str, settings: dict[str, Any], devices: list[str]
) -> Generator[Step, Result, None]:
    caller = str(ctx.call["ccvs"].get(DEVICE) or "")
    leaving = [caller] if settings.get("keep_logged_in_elsewhere") and caller else devices
    for device in leaving:
        yield Seat(device, user_id, False)
    yield from prompts("hotdesk-logged_out", "vm-goodbye")


def _bridge(
    ctx: NodeContext, settings: dict[str, Any], devices: list[str]
) -> Generator[Step, Result, Outcome]:
    if not settings.get("enabled") or not devices:
        ctx.note("hotdesk not enabled, or logged in nowhere")
        return Continue()
    targets = tuple(("device", device, None, RING_SECONDS) for device in devices)
    result = step_bridge_result((yield Bridge(targets, timeout=RING_SECONDS)))
    ctx.note(result.describe())
    if result.answered:
        return Continue()
    return Continue(failure_child(result, ctx) or "_")
