"""The step helper: a callflow module written as a sequence of steps.

A menu, a voicemail box or a PIN check is "play this, collect digits, then branch": a
:class:`StepModule` says so in that order, as a generator that yields steps and gets
their results back, and returns the outcome that ends the node::

    class Greeting(StepModule):
        def steps(self, ctx):
            yield Answer()
            for _ in range(3):
                got = yield Collect(prompt=ctx.data["prompt"], max_digits=1, timeout=5)
                if got.hung_up:
                    return Stop()
                if ctx.has_child(got.digits):
                    return Continue(got.digits)
                yield Play(ctx.data["invalid"])
            return Continue("max_retries")

Nothing of the generator lives between events. Each event of the call **replays** it
from the start on whichever worker runs the event: the results of the steps already
completed are kept in ``ctx.state`` (JSON) and sent back in, in order, without running
the steps again; only the step that waits gets the event. So the generator must be
deterministic: its decisions may depend on ``ctx.data``, what the call cannot change
(caller id, account, dialed number) and the results it was given, never on the clock,
randomness, call fields that change (``answered``...) or anything it read outside of a
step. Each replayed step is checked against the one recorded: a module whose code
changed under a live call (or that is not deterministic) fails, and the call goes on to
the node's ``_`` child as for any module that raises.

A step waits without blocking: it sends commands (or arms a timer) and the node waits for
the event that completes it. :class:`Collect` gathers digits with FreeSWITCH's
``play_and_get_digits``: the switch times the first digit and the gaps between digits,
breaks the prompt on the first key and stops at a terminator, so no DTMF event has to
cross the bus in time and no race between a digit and a timer exists. :class:`Wait` is
the engine's own timer (``ctx.start_timer``), for waiting while nothing plays: it ends at
the first DTMF digit or when the time is up.

When the caller hangs up during a step, the step's result says so
(:attr:`Result.hung_up`) and every later step gets the same result at once, without
sending anything; a step that waits on a timer simply never resumes (the call ends).
"""

from __future__ import annotations

import dataclasses
import re
import zlib
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from callflow import outcomes
from callflow.context import NodeContext
from callflow.media import MediaNotFound
from callflow.module import CallflowModule
from callflow.outcomes import Continue, Outcome
from kazoo_tasks.commands import sanitize_text
from kazoo_tasks.events import CallEvent

DONE = "done"
"""The step finished (played, collected, recorded...)."""
TIMEOUT = "timeout"
"""Collect got no digit in time, or a Wait's time ran out."""
ERROR = "error"
"""The command was refused (ecallmgr's COMMAND_ERROR) or the media was not found."""
HANGUP = "hangup"
"""The caller hung up during the step (or before it)."""
MEDIA_NOT_FOUND = "MEDIA NOT FOUND"
"""``response`` of a step whose media id names no media of the account."""
NOT_FOUND = "NOT FOUND"
"""``response`` of a :class:`ReadDocument` whose document does not exist."""

STATE_KEY = "steps"
"""Where a step module keeps its progress in ``ctx.state``."""
MAX_STEPS = 500
"""Steps one node may complete (a generator that loops forever ends at this)."""

_TERMINATORS = re.compile(r"^[0-9*#]{0,12}\Z")
_NO_SPACE = re.compile(r"^\S+\Z")


@dataclass(frozen=True)
class Result:
    """What a step gives back to the generator."""

    status: str = DONE
    """:data:`DONE`, :data:`TIMEOUT`, :data:`ERROR` or :data:`HANGUP`."""
    digits: str = ""
    """Collect: the digits; Wait: the digit that ended it; Play/Say/Tts: the key that
    interrupted it."""
    terminator: str = ""
    """Collect, Record: the terminator key that ended it."""
    response: str = ""
    """The switch's ``Application-Response`` (or ecallmgr's refusal)."""
    details: dict[str, Any] = field(default_factory=dict)
    """Step-specific facts, e.g. Record's ``path`` and ``duration_ms``."""

    @property
    def ok(self) -> bool:
        """The step did what it was asked (status DONE)."""
        return self.status == DONE

    @property
    def timed_out(self) -> bool:
        return self.status == TIMEOUT

    @property
    def hung_up(self) -> bool:
        return self.status == HANGUP

    @property
    def failed(self) -> bool:
        return self.status == ERROR

    def to_json(self) -> dict[str, Any]:
        """The fields that differ from their defaults (stored with the call)."""
        default = _DEFAULT_RESULT
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != getattr(default, f.name)
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Result:
        return cls(**data)


_DEFAULT_RESULT = Result()


class Step:
    """One step: it starts (sending commands or arming a timer) and then either is done
    at once or waits for the events of the call. Subclasses are frozen dataclasses whose
    fields are plain values (their ``repr`` identifies the step during a replay).

    ``run`` is the step's own JSON state while it waits (command ids, a timer id).
    """

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        """Begin; a :class:`Result` when already done, else None (then events come)."""
        raise NotImplementedError

    def on_event(self, ctx: NodeContext, run: dict[str, Any], event: CallEvent) -> Result | None:
        """An event of the call while the step waits: its result once done, else None."""
        return None

    def fingerprint(self) -> str:
        """Identifies the step during a replay (kind and parameters)."""
        return f"{type(self).__name__}:{zlib.crc32(repr(self).encode()):08x}"


def _hung_up(event: CallEvent) -> bool:
    return event.get("headers", {}).get("Answer-State") == "hangup"


def _variable(event: CallEvent, name: str) -> str:
    return event.get("headers", {}).get(f"variable_{name}", "")


def _check(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not pattern.match(value):
        raise ValueError(f"{what}: {value!r} is not allowed")
    return value


class CommandStep(Step):
    """A step that sends commands and is done when the last one completes."""

    def send(self, ctx: NodeContext, run: dict[str, Any]) -> None:
        """Send the step's commands (``ctx.execute``...); ``run`` keeps what
        :meth:`completed` will need."""
        raise NotImplementedError

    def completed(self, event: CallEvent, run: dict[str, Any]) -> Result:
        """The result, from the last command's CHANNEL_EXECUTE_COMPLETE."""
        return Result(response=event.get("application_response", ""))

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        before = len(ctx.call["node_commands"])
        try:
            self.send(ctx, run)
        except MediaNotFound as missing:
            ctx.note(f"media not found: {missing}")
            return Result(ERROR, response=MEDIA_NOT_FOUND)
        sent = ctx.call["node_commands"][before:]
        if not sent:
            return Result()
        run["command"] = sent[-1]
        return None

    def on_event(self, ctx: NodeContext, run: dict[str, Any], event: CallEvent) -> Result | None:
        if ctx.completed(event) != run["command"]:
            return None
        if event["name"] == "COMMAND_ERROR":
            return Result(ERROR, response=event.get("application_response", ""))
        result = self.completed(event, run)
        return dataclasses.replace(result, status=HANGUP) if _hung_up(event) else result


def _set_terminators(ctx: NodeContext, terminators: str | None) -> None:
    """``playback_terminators`` for the media that follows (None: leave the channel's)."""
    if terminators is not None:
        keys = _check(terminators, _TERMINATORS, "terminators") or "none"
        ctx.execute("set", f"playback_terminators={keys}")


class _Media(CommandStep):
    """Media that a key in ``terminators`` interrupts (its result's ``digits``)."""

    terminators: str | None

    def media(self, ctx: NodeContext) -> None:
        raise NotImplementedError

    def send(self, ctx: NodeContext, run: dict[str, Any]) -> None:
        _set_terminators(ctx, self.terminators)
        self.media(ctx)

    def completed(self, event: CallEvent, run: dict[str, Any]) -> Result:
        response = event.get("application_response", "")
        status = ERROR if response in ("FILE NOT FOUND", "PLAYBACK ERROR") else DONE
        key = _variable(event, "playback_terminator_used") if self.terminators else ""
        return Result(status, digits=key, response=response)


@dataclass(frozen=True)
class Answer(CommandStep):
    """Answer the call (done at once if it is answered already)."""

    def send(self, ctx: NodeContext, run: dict[str, Any]) -> None:
        if not ctx.call["answered"]:
            ctx.execute("answer")


@dataclass(frozen=True)
class Play(_Media):
    """Play a media (URL, ``tone_stream://``, path). With ``terminators`` (e.g. ``"#"``,
    ``"0123456789*#"``) a key among them stops it and is the result's ``digits``; with
    ``""`` no key does; None leaves the channel's setting (FreeSWITCH: ``*``)."""

    media_url: str
    """A media id of the call's account, or a URL (``ctx.media`` resolves it)."""
    terminators: str | None = None

    def media(self, ctx: NodeContext) -> None:
        ctx.execute("playback", ctx.media(self.media_url))


@dataclass(frozen=True)
class Tts(_Media):
    """Speak ``text`` with the switch's TTS engine (``speak``)."""

    text: str
    voice: str = "slt"
    engine: str = "flite"
    terminators: str | None = None

    def media(self, ctx: NodeContext) -> None:
        ctx.execute("speak", f"{self.engine}|{self.voice}|{sanitize_text(self.text)}")


@dataclass(frozen=True)
class Say(_Media):
    """Say a number, digits, a date... (FreeSWITCH ``say``)."""

    text: str
    type: str = "number"
    method: str = "pronounced"
    language: str = "en"
    gender: str = ""
    terminators: str | None = None

    def media(self, ctx: NodeContext) -> None:
        words = [self.language, self.type, self.method, self.gender, sanitize_text(self.text)]
        ctx.execute("say", " ".join(w for w in words if w))


@dataclass(frozen=True)
class Collect(CommandStep):
    """Collect DTMF digits (FreeSWITCH ``play_and_get_digits``, one try).

    ``prompt`` plays first and the first key breaks it (and counts); then the switch
    waits ``timeout`` seconds for the first digit and ``interdigit_timeout`` between the
    next ones, up to ``max_digits`` digits or a key of ``terminators``. The result has
    the ``digits`` and the ``terminator``; status TIMEOUT when no digit came (DONE
    otherwise, even with fewer than ``min_digits``: check ``len(result.digits)``).
    The switch plays no "invalid" prompt: retry loops play their own message. The trace
    shows each step's result with its digits; ``secret`` (a PIN) shows them as ``*``.
    """

    max_digits: int = 1
    timeout: float = 5.0
    interdigit_timeout: float = 2.0
    terminators: str = "#"
    prompt: str | None = None
    min_digits: int = 1
    secret: bool = False

    def send(self, ctx: NodeContext, run: dict[str, Any]) -> None:
        if not 1 <= self.max_digits <= 128 or not 0 <= self.min_digits <= self.max_digits:
            raise ValueError(f"digits: min {self.min_digits}, max {self.max_digits}")
        terminators = _check(self.terminators, _TERMINATORS, "terminators") or "none"
        prompt = _check(ctx.media(self.prompt), _NO_SPACE, "prompt") if self.prompt else "silence"
        variable = run["variable"] = f"kazoo_collected_{ctx.call['command_seq']}"
        ctx.execute(
            "play_and_get_digits",
            " ".join(
                [
                    str(self.min_digits),
                    str(self.max_digits),
                    "1",
                    str(_millis(self.timeout)),
                    terminators,
                    prompt,
                    "silence",
                    variable,
                    r"[0-9*#A-D]+",
                    str(_millis(self.interdigit_timeout)),
                ]
            ),
        )

    def completed(self, event: CallEvent, run: dict[str, Any]) -> Result:
        digits = _variable(event, run["variable"])
        terminator = _variable(event, "read_terminator_used")
        status = DONE if digits or terminator else TIMEOUT
        response = event.get("application_response", "")
        return Result(status, digits=digits, terminator=terminator, response=response)


@dataclass(frozen=True)
class Record(CommandStep):
    """Record the caller to ``path`` (on the switch) for at most ``max_length`` seconds;
    a key of ``terminators`` ends it (the result's ``terminator``); with
    ``silence_seconds``, that much silence (below ``silence_threshold``) ends it too.
    ``details``: ``path``, ``duration_ms``. A caller who hangs up while recording gives a
    HANGUP result that still names the recording."""

    path: str
    max_length: int = 120
    terminators: str = "#"
    silence_seconds: int = 0
    silence_threshold: int = 200

    def send(self, ctx: NodeContext, run: dict[str, Any]) -> None:
        path = _check(self.path, _NO_SPACE, "path")
        if "${" in path or not 1 <= self.max_length <= 3600:
            raise ValueError(f"record {path!r} for {self.max_length} s")
        _set_terminators(ctx, self.terminators)
        args = [path, str(self.max_length)]
        if self.silence_seconds:
            args += [str(self.silence_threshold), str(self.silence_seconds)]
        ctx.execute("record", " ".join(args))

    def completed(self, event: CallEvent, run: dict[str, Any]) -> Result:
        milliseconds = _variable(event, "record_ms")
        return Result(
            terminator=_variable(event, "playback_terminator_used"),
            response=event.get("application_response", ""),
            details={"path": self.path, "duration_ms": int(milliseconds or 0)},
        )


@dataclass(frozen=True)
class Sleep(CommandStep):
    """Let the switch pause for ``seconds`` (its ``sleep``; no timer of ours)."""

    seconds: float

    def send(self, ctx: NodeContext, run: dict[str, Any]) -> None:
        if self.seconds > 0:
            ctx.execute("sleep", str(_millis(self.seconds)))


@dataclass(frozen=True)
class Execute(CommandStep):
    """Run any dialplan application (``app`` ``args``); the result has its response."""

    app: str
    args: str = ""

    def send(self, ctx: NodeContext, run: dict[str, Any]) -> None:
        ctx.execute(self.app, self.args)


@dataclass(frozen=True)
class ReadDocument(Step):
    """Read document ``doc_id`` of the call's account (``ctx.document``) as a step, so
    every replay sees it as it was read even if it is edited meanwhile: the result's
    ``details["doc"]``, or ERROR with response :data:`NOT_FOUND`."""

    doc_id: str

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        doc = ctx.document(self.doc_id)
        if doc is None:
            return Result(ERROR, response=NOT_FOUND)
        return Result(details={"doc": dict(doc)})


@dataclass(frozen=True)
class Wait(Step):
    """Wait ``seconds`` on the engine's timer; with ``dtmf`` the caller's first key ends
    it early (DONE, the key in ``digits``), else TIMEOUT when the time is up."""

    seconds: float
    dtmf: bool = True

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        run["timer"] = ctx.start_timer(self.seconds, name="step_wait")
        return None

    def on_event(self, ctx: NodeContext, run: dict[str, Any], event: CallEvent) -> Result | None:
        if ctx.timer_fired(event) and event.get("timer_id") == run["timer"]:
            return Result(TIMEOUT)
        if self.dtmf and event["name"] == "DTMF":
            ctx.cancel_timer(run["timer"])
            return Result(digits=event.get("dtmf_digit", ""))
        return None


def _millis(seconds: float) -> int:
    return max(int(round(seconds * 1000)), 0)


Steps = Generator[Step, Result, Outcome | None]
"""What :meth:`StepModule.steps` returns: yields steps, receives results, returns the
node's outcome (None: continue to ``_``)."""


class StepReplayError(RuntimeError):
    """A replay yielded another step than the one recorded (code changed, or the
    generator is not deterministic)."""


class StepModule(CallflowModule):
    """Base of a module written as a sequence of steps: implement :meth:`steps`."""

    max_steps: ClassVar[int] = MAX_STEPS

    def steps(self, ctx: NodeContext) -> Steps:
        """The node's steps (a generator: see the module documentation)."""
        raise NotImplementedError

    def start(self, ctx: NodeContext) -> Outcome:
        ctx.state[STATE_KEY] = {"done": [], "waiting": None}
        return self._run(ctx, None)

    def on_event(self, ctx: NodeContext, event: CallEvent) -> Outcome:
        if not ctx.state.get(STATE_KEY, {}).get("waiting"):
            return outcomes.Wait()
        return self._run(ctx, event)

    def _run(self, ctx: NodeContext, event: CallEvent | None) -> Outcome:
        progress = ctx.state[STATE_KEY]
        done: list[dict[str, Any]] = progress["done"]
        generator = self.steps(ctx)
        try:
            step = _expect_step(next(generator))
            for index, entry in enumerate(done):  # the replay
                _same(step, entry["step"], index)
                step = _expect_step(generator.send(Result.from_json(entry["result"])))
            if event is not None:
                waiting = progress["waiting"]
                _same(step, waiting["step"], len(done))
                result = step.on_event(ctx, waiting["run"], event)
                if result is None:
                    return outcomes.Wait()
                step = self._record(ctx, progress, step, result, generator)
            while True:
                if len(done) >= self.max_steps:
                    raise RuntimeError(f"more than {self.max_steps} steps in one node")
                run: dict[str, Any] = {}
                result = Result(HANGUP) if progress.get("hung_up") else step.start(ctx, run)
                if result is None:
                    progress["waiting"] = {"step": step.fingerprint(), "run": run}
                    return outcomes.Wait()
                step = self._record(ctx, progress, step, result, generator)
        except StopIteration as stop:
            progress["waiting"] = None
            return Continue() if stop.value is None else stop.value

    @staticmethod
    def _record(
        ctx: NodeContext, progress: dict[str, Any], step: Step, result: Result, generator: Steps
    ) -> Step:
        """Keep ``result`` of ``step`` (and trace it) and get the next step (StopIteration at
        the end)."""
        digits = "*" * len(result.digits) if getattr(step, "secret", False) else result.digits
        ctx.note(f"{type(step).__name__}: {result.status} {digits}".rstrip())
        progress["done"].append({"step": step.fingerprint(), "result": result.to_json()})
        progress["waiting"] = None
        if result.hung_up:
            progress["hung_up"] = True
        return _expect_step(generator.send(result))


def _expect_step(value: Any) -> Step:
    if not isinstance(value, Step):
        raise TypeError(f"a step module yielded {value!r}, not a step")
    return value


def _same(step: Step, recorded: str, index: int) -> None:
    if step.fingerprint() != recorded:
        raise StepReplayError(
            f"step {index} was {recorded} and is now {step.fingerprint()} ({step!r}): "
            "the module changed or is not deterministic"
        )
