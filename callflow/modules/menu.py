"""``menu``: an IVR, a ``menus`` document of the account played and answered by digits
(Kazoo's cf_menu), written with the step helper.

The greeting plays and the caller's first key breaks it; up to ``max_extension_length``
digits are collected. Digits that name a child go there; else, with ``hunt``, digits
that ``hunt_allow`` accepts and ``hunt_deny`` does not are routed as a number of the
account (its callflows' numbers and patterns, not ``no_match``) and the call branches
there; else the invalid media plays and the menu starts over. No digit in ``timeout``:
the ``timeout`` child, else the menu starts over without the invalid media (Kazoo also
hunts for the "number" ``timeout``, and so do we). After ``retries`` tries: the exit media, then the
``max_retries`` child; without it, the transfer media and ``_`` (or "goodbye" and the
end of the call when there is no ``_`` either).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.hunting import find_route, hunt_allowed
from callflow.module import ModuleData
from callflow.outcomes import Branch, Continue, Stop
from callflow.prompts import prompt
from callflow.steps import (
    ERROR,
    MEDIA_NOT_FOUND,
    Answer,
    Collect,
    Execute,
    Play,
    ReadDocument,
    Result,
    Step,
    StepModule,
    Steps,
)

DEFAULT_INTERDIGIT_MS = 2000
"""Kazoo's ``kapps_call_command:default_interdigit_timeout``."""
NO_ROUTE = "NO ROUTE"


class MenuSchema(ModuleData):
    """Kazoo's callflows.menu data."""

    id = fields.String(
        validate=validate.Length(min=1, max=128), metadata={"description": "the menus document"}
    )
    interdigit_timeout = fields.Integer(
        validate=validate.Range(min=1, max=10_000),
        metadata={"description": "ms between digits, when the menu does not say"},
    )


@dataclass(frozen=True)
class MenuProfile:
    """What a ``menus`` document says, with Kazoo's defaults (times in milliseconds).

    Media: a media id or URL, None for nothing (``false``); ``true`` or unset is
    Kazoo's system prompt (callflow.prompts)."""

    retries: int = 3
    timeout: int = 10_000
    interdigit_timeout: int = DEFAULT_INTERDIGIT_MS
    max_length: int = 4
    hunt: bool = False
    hunt_allow: str = ""
    hunt_deny: str = ""
    greeting: str | None = None
    invalid_media: str | None = prompt("menu-invalid_entry")
    exit_media: str | None = prompt("menu-exit")
    transfer_media: str | None = prompt("menu-transferring_call")

    @classmethod
    def of(cls, doc: dict[str, Any] | None, data: dict[str, Any]) -> MenuProfile:
        """The profile of ``doc`` (None: Kazoo's defaults), ``data`` the node's data."""
        doc = doc or {}
        media = doc.get("media") if isinstance(doc.get("media"), dict) else {}
        default = cls()
        interdigit = _integer(doc.get("interdigit_timeout"))
        return cls(
            retries=_integer(doc.get("retries")) or default.retries,
            timeout=_integer(doc.get("timeout")) or default.timeout,
            interdigit_timeout=interdigit
            or data.get("interdigit_timeout")
            or default.interdigit_timeout,
            max_length=min(_integer(doc.get("max_extension_length")) or default.max_length, 32),
            hunt=_true(doc.get("hunt")),
            hunt_allow=str(doc.get("hunt_allow") or ""),
            hunt_deny=str(doc.get("hunt_deny") or ""),
            greeting=str(media["greeting"]) if media.get("greeting") else None,
            invalid_media=None
            if _true(doc.get("suppress_media"))
            else _media(media.get("invalid_media"), default.invalid_media),
            exit_media=_media(media.get("exit_media"), default.exit_media),
            transfer_media=_media(media.get("transfer_media"), default.transfer_media),
        )

    def may_hunt(self, digits: str) -> bool:
        """Whether ``digits`` may be routed as a number (Kazoo: an invalid regex in
        ``hunt_allow`` refuses, in ``hunt_deny`` does not)."""
        return self.hunt and hunt_allowed(digits, self.hunt_allow, self.hunt_deny)


def _integer(value: Any) -> int | None:
    """A positive integer from a number or a numeric string (Kazoo's loose types)."""
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if number > 0 and not isinstance(value, bool) else None


def _true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _media(value: Any, system_prompt: str | None) -> str | None:
    if value is False or (isinstance(value, str) and value.lower() == "false"):
        return None
    if value is True or value in (None, "") or not isinstance(value, str):
        return system_prompt
    return value


@dataclass(frozen=True)
class Hunt(Step):
    """Route ``number`` through the account's callflows (numbers, then patterns; never
    ``no_match``): ``details`` name the callflow and the captures, else ERROR."""

    number: str

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        found = find_route(ctx, self.number)
        if found is None:
            return Result(ERROR, response=NO_ROUTE)
        details = {
            "callflow_id": found.callflow_id,
            "capture_group": found.capture_group,
            "capture_groups": dict(found.capture_groups or ()),
        }
        return Result(details=details)


class Menu(StepModule):
    """Plays the menu and routes the caller's choice (see the module's documentation)."""

    data_schema = MenuSchema

    def steps(self, ctx: NodeContext) -> Steps:
        menu_id = ctx.data.get("id")
        loaded = (yield ReadDocument(menu_id)) if menu_id else Result(ERROR)
        menu = MenuProfile.of(loaded.details.get("doc"), ctx.data)
        yield Answer()
        for _ in range(menu.retries):
            got = yield from self._collect(menu)
            if got.hung_up:
                return Stop()
            chosen = yield from self._route(ctx, menu, got.digits or "timeout")
            if chosen is not None:
                return chosen
            if got.digits and menu.invalid_media:
                yield Play(menu.invalid_media)
        yield Execute("flush_dtmf")
        if menu.exit_media:
            yield Play(menu.exit_media)
        if ctx.has_child("max_retries"):
            return Continue("max_retries")
        farewell = menu.transfer_media if ctx.has_child("_") else prompt("vm-goodbye")
        if farewell:
            yield Play(farewell)
        return Continue()

    @staticmethod
    def _collect(menu: MenuProfile) -> Generator[Step, Result, Result]:
        """Play the greeting and collect digits (silently if the greeting is missing)."""
        collect = Collect(
            max_digits=menu.max_length,
            timeout=menu.timeout / 1000,
            interdigit_timeout=menu.interdigit_timeout / 1000,
            prompt=menu.greeting,
        )
        got = yield collect
        if got.failed and got.response == MEDIA_NOT_FOUND:
            got = yield Collect(
                max_digits=collect.max_digits,
                timeout=collect.timeout,
                interdigit_timeout=collect.interdigit_timeout,
            )
        return got

    @staticmethod
    def _route(ctx: NodeContext, menu: MenuProfile, digits: str) -> Steps:
        """The outcome for ``digits`` (or ``timeout``): a child of that name, else a
        number of the account; None when neither."""
        if ctx.has_child(digits):
            return Continue(digits)
        if not menu.may_hunt(digits):
            return None
        found = yield Hunt(digits)
        if not found.ok:
            return None
        yield Execute("flush_dtmf")
        if menu.transfer_media:
            yield Play(menu.transfer_media)
        captures = found.details.get("capture_groups") or {}
        return Branch(
            found.details["callflow_id"],
            capture_group=found.details.get("capture_group"),
            capture_groups=tuple(sorted(captures.items())),
        )
