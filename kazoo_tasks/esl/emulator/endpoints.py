"""Far ends and dial strings: what an endpoint does when rung, and how a dial string reads.

A dial string is parsed as FreeSWITCH reads it: ``{global vars}`` first, then groups tried
one after the other (separated by ``|`` or Kazoo's ``:_:``), each group a list of endpoints
rung at once (separated by ``,``), each endpoint optionally prefixed by ``[leg vars]``. What
an endpoint does (ring, answer after N s, be busy, never answer, hang up after N s, press
digits) is decided by the first matching :class:`EndpointRule`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field

from kazoo_tasks.esl.emulator.script import Step


@dataclass
class EndpointRule:
    """What the far end of an outbound leg does.

    It rings (180 Ringing; with ``early_media``, 183 Session Progress with media), then
    answers after ``answer_after`` seconds: a number, a ``(low, high)`` range to draw from
    uniformly (a ring group's phones), or ``None`` to ring until the originate gives up.
    With ``reject`` it refuses instead, with a SIP status (``486``, ``"603"``) or a hangup
    cause (``"USER_BUSY"``: 486 Busy Here), at once (no 180) or after ``reject_after``
    seconds of ringing. ``hangup_after`` seconds after answering it hangs up; ``script``
    steps run on the leg (press digits ...).
    """

    answer_after: float | tuple[float, float] | None = 0.0
    reject: str | int | None = None
    reject_after: float = 0.0
    hangup_after: float | None = None
    early_media: bool = False
    script: Sequence[Step] = ()

    def __post_init__(self) -> None:
        if isinstance(self.answer_after, tuple):
            low, high = self.answer_after
            if not 0 <= low <= high:
                raise ValueError(f"answer_after range must be 0 <= low <= high: {low}, {high}")

    def answer_delay(self, draw: float) -> float | None:
        """Seconds of ringing before the answer (``None``: never), ``draw`` in [0, 1)."""
        if isinstance(self.answer_after, tuple):
            low, high = self.answer_after
            return low + (high - low) * draw
        return self.answer_after


@dataclass
class EndpointRules:
    """Endpoint rules by exact endpoint or glob pattern; the first match wins."""

    rules: list[tuple[str, EndpointRule]] = field(default_factory=list)
    default: EndpointRule = field(default_factory=EndpointRule)

    def set(self, pattern: str, rule: EndpointRule) -> None:
        """Add or replace the rule for ``pattern`` (exact rules are checked before globs)."""
        self.rules = [(p, r) for p, r in self.rules if p != pattern]
        if any(ch in pattern for ch in "*?["):
            self.rules.append((pattern, rule))
        else:
            self.rules.insert(0, (pattern, rule))

    def match(self, endpoint: str) -> EndpointRule | None:
        """The rule for ``endpoint``, or ``None`` when no rule names it."""
        for pattern, rule in self.rules:
            if endpoint == pattern or fnmatch.fnmatchcase(endpoint, pattern):
                return rule
        return None


@dataclass
class Leg:
    """One endpoint of a dial string with its own variables."""

    endpoint: str
    variables: dict[str, str] = field(default_factory=dict)


def _split_top(text: str, separators: Sequence[str]) -> list[str]:
    """Split on any separator that is outside brackets and quotes."""
    parts: list[str] = []
    depth = 0
    quote = ""
    start = index = 0
    while index < len(text):
        ch = text[index]
        if quote:
            if ch == quote:
                quote = ""
        elif ch == "'":
            quote = ch
        elif ch in "{[<":
            depth += 1
        elif ch in "}]>":
            depth = max(0, depth - 1)
        elif depth == 0:
            for sep in separators:
                if text.startswith(sep, index):
                    parts.append(text[start:index])
                    index += len(sep)
                    start = index
                    break
            else:
                index += 1
            continue
        index += 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def parse_variables(block: str) -> dict[str, str]:
    """Parse ``k=v,k2='v, with comma'`` (the inside of ``{}`` or ``[]``); ``^^<d>`` first
    makes ``<d>`` the separator instead of ``,`` (``{^^;a=1,2;b=3}``)."""
    out: dict[str, str] = {}
    if block.startswith("^^") and len(block) > 2:
        items = block[3:].split(block[2])
    else:
        items = _split_top(block, [","])
    for item in items:
        key, _, value = item.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1]
        if key.strip():
            out[key.strip()] = value
    return out


def _take_block(text: str, opening: str, closing: str) -> tuple[str | None, str]:
    text = text.lstrip()
    if not text.startswith(opening):
        return None, text
    depth = 0
    for index, ch in enumerate(text):
        if ch == opening:
            depth += 1
        elif ch == closing:
            depth -= 1
            if depth == 0:
                return text[1:index], text[index + 1 :]
    return text[1:], ""


def parse_dial_string(dial: str) -> tuple[dict[str, str], list[list[Leg]]]:
    """Split a dial string into its global variables and its groups of legs."""
    global_vars: dict[str, str] = {}
    rest = dial.strip()
    while True:
        block, rest = _take_block(rest, "{", "}")
        if block is None:
            break
        global_vars.update(parse_variables(block))
    groups: list[list[Leg]] = []
    for group_text in _split_top(rest, ["|", ":_:"]):
        group: list[Leg] = []
        for leg_text in _split_top(group_text, [","]):
            leg_vars: dict[str, str] = {}
            while True:
                block, leg_text = _take_block(leg_text, "[", "]")
                if block is None:
                    block, leg_text = _take_block(leg_text, "<", ">")
                if block is None:
                    break
                leg_vars.update(parse_variables(block))
            if leg_text.strip():
                group.append(Leg(leg_text.strip(), leg_vars))
        if group:
            groups.append(group)
    return global_vars, groups
