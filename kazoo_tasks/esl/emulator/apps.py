"""Dialplan applications the emulator runs (``sendmsg ... execute-app-name``).

Each application is a coroutine ``app(session, data)`` that does what its FreeSWITCH
namesake does as far as events and channel variables show: media takes (scaled) time,
playback fires PLAYBACK_START/STOP and sets ``playback_*`` variables, digit collection reads
the DTMF that scripted callers press, recordings fire RECORD_START/STOP. The response an
application leaves in ``current_application_response`` becomes ``Application-Response``.

An application name FreeSWITCH would not know makes the emulator do what FreeSWITCH does:
log ``Invalid Application`` and hang the channel up with DESTINATION_OUT_OF_ORDER, with no
CHANNEL_EXECUTE event. Real FreeSWITCH applications the emulator does not model (``info``,
``log``, ``limit`` ...) complete at once with ``_none_`` (see :data:`INSTANT_APPLICATIONS`).
"""

from __future__ import annotations

import logging
import os
import re
import wave
from collections.abc import Callable

from kazoo_tasks.esl.emulator import httpfiles
from kazoo_tasks.esl.emulator.channel import L16
from kazoo_tasks.esl.emulator.media import MediaNotFound, tone_stream_seconds
from kazoo_tasks.esl.emulator.session import Application, Recording, Session

log = logging.getLogger(__name__)

RESPONSE = "current_application_response"
SAMPLE_RATE = 8000
MAX_WRITTEN_RECORDING_SECONDS = 120


def _respond(session: Session, response: str) -> None:
    session.channel.set_var(RESPONSE, response)


def _terminators(session: Session) -> str:
    value = session.channel.get_var("playback_terminators", "*")
    if value.lower() == "any":
        return "1234567890*#"
    if value.lower() == "none":
        return ""
    return value


def _terminator_listener(session: Session, *, remember: bool) -> Callable[[str], None]:
    """A DTMF listener that ends the media the session waits on when a digit of
    ``playback_terminators`` comes; ``remember``: that digit goes in
    ``playback_terminator_used`` too."""
    terminators = _terminators(session)

    def listen(digit: str) -> None:
        if digit in terminators:
            if remember:
                session.channel.set_var("playback_terminator_used", digit)
            session.interrupt("dtmf")

    return listen


# -- call control ----------------------------------------------------------------------
async def answer(session: Session, data: str) -> None:
    session.answer()


async def pre_answer(session: Session, data: str) -> None:
    session.pre_answer()


async def ring_ready(session: Session, data: str) -> None:
    session.ring_ready()


async def park(session: Session, data: str) -> None:
    await session.park()


async def hangup(session: Session, data: str) -> None:
    session.hangup(data.strip() or "NORMAL_CLEARING")


async def transfer(session: Session, data: str) -> None:
    parts = data.split()
    if parts:
        session.transfer(parts[0], parts[2] if len(parts) > 2 else "")


_SIP_CAUSES = {
    "403": "CALL_REJECTED",
    "404": "UNALLOCATED_NUMBER",
    "408": "RECOVERY_ON_TIMER_EXPIRE",
    "480": "NO_USER_RESPONSE",
    "484": "INVALID_NUMBER_FORMAT",
    "486": "USER_BUSY",
    "487": "ORIGINATOR_CANCEL",
    "488": "INCOMPATIBLE_DESTINATION",
    "500": "NORMAL_TEMPORARY_FAILURE",
    "502": "NETWORK_OUT_OF_ORDER",
    "503": "NORMAL_TEMPORARY_FAILURE",
    "600": "USER_BUSY",
    "603": "CALL_REJECTED",
    "604": "NO_ROUTE_DESTINATION",
}


async def respond(session: Session, data: str) -> None:
    """Send a SIP response: 180 rings, 183 early media, 200 answers, 3xx-6xx hang up."""
    code = data.split(" ", 1)[0].strip()
    if code == "180":
        session.ring_ready()
    elif code == "183":
        session.pre_answer()
    elif code.startswith("2"):
        session.answer()
    elif code[:1] in "3456" and code.isdigit():
        session.hangup(_SIP_CAUSES.get(code, "NORMAL_UNSPECIFIED"))


async def sched_hangup(session: Session, data: str) -> None:
    """``sched_hangup [+]<seconds> [cause]``: hang up later."""
    parts = data.split()
    if not parts:
        return
    try:
        delay = float(parts[0].lstrip("+"))
    except ValueError:
        return
    cause = parts[1] if len(parts) > 1 else "ALLOTTED_TIMEOUT"
    session.switch.loop.call_later(session.switch.scaled(delay), session.hangup, cause)


# -- variables -------------------------------------------------------------------------
def _assign(text: str) -> tuple[str, str]:
    name, _, value = text.partition("=")
    return name.strip(), value


async def set_(session: Session, data: str) -> None:
    name, value = _assign(data)
    if name:
        session.channel.set_var(name, value)


async def export(session: Session, data: str) -> None:
    """``export [nolocal:]<name>=<value>``: set the variable and list it in ``export_vars``
    for the legs the channel originates; a ``nolocal:`` one is kept under its prefixed
    name, for those legs only (``switch_channel_export_variable``)."""
    name, value = _assign(data)
    if not name or not value:
        return
    channel = session.channel
    channel.set_var(name, value)
    exports = channel.get_var("export_vars")
    channel.set_var("export_vars", f"{exports},{name}" if exports else name)


async def multiset(session: Session, data: str) -> None:
    """``multiset k=v k2=v2`` or ``multiset ^^|k=v|k2=v2`` (custom delimiter)."""
    delimiter = " "
    if data.startswith("^^") and len(data) > 2:
        delimiter, data = data[2], data[3:]
    for item in data.split(delimiter):
        if item.strip():
            await set_(session, item.strip())


async def unset(session: Session, data: str) -> None:
    session.channel.set_var(data.strip(), None)


async def set_global(session: Session, data: str) -> None:
    name, value = _assign(data)
    if name:
        session.switch.globals[name] = value


# -- media -----------------------------------------------------------------------------
async def play_file(
    session: Session,
    target: str,
    *,
    on_digit: Callable[[str], bool] | None = None,
) -> str:
    """Play ``target`` with PLAYBACK_START/STOP; returns done, break, dtmf, notfound or hangup.

    ``on_digit`` decides whether a DTMF digit stops the playback; by default the channel's
    ``playback_terminators`` (``*`` unless set) do.
    """
    switch = session.switch
    channel = session.channel
    try:
        seconds = await httpfiles.playback_seconds(switch, target)
    except MediaNotFound:
        log.info("emulated file not found: %s", target)
        return "notfound"
    if not session.up:
        return "hangup"
    headers: list[tuple[str, str]] = []
    if target.startswith("local_stream:"):
        headers.append(("Playback-File-Type", "local_stream"))
    if target.startswith("tone_stream:"):
        headers.append(("Playback-File-Type", "tone_stream"))
    headers.append(("Playback-File-Path", target))
    terminators = _terminators(session)

    def listen(digit: str) -> None:
        stop = on_digit(digit) if on_digit is not None else digit in terminators
        if stop:
            if on_digit is None:
                channel.set_var("playback_terminator_used", digit)
            session.interrupt("dtmf")

    channel.set_var("playback_terminator_used", None)
    session.fire("PLAYBACK_START", post=headers)
    started = switch.loop.time()
    with session.listening(listen):
        reason = await session.media_wait(seconds)
    if reason == "done" and seconds is not None:
        played = seconds
    else:
        played = (switch.loop.time() - started) / (switch.config.time_scale or 1.0)
        if seconds is not None:
            played = min(played, seconds)
    samples = int(played * SAMPLE_RATE)
    channel.set_vars(
        [
            ("playback_last_offset_pos", str(samples)),
            ("playback_seconds", str(samples // SAMPLE_RATE)),
            ("playback_ms", str(samples // 8)),
            ("playback_samples", str(samples)),
        ]
    )
    status = "break" if reason in ("break", "dtmf", "transfer") else "done"
    session.fire("PLAYBACK_STOP", post=[*headers, ("Playback-Status", status)])
    return reason


def _playback_response(reason: str) -> str:
    if reason == "notfound":
        return "FILE NOT FOUND"
    if reason == "hangup":
        return "PLAYBACK ERROR"
    return "FILE PLAYED"


async def playback(session: Session, data: str) -> None:
    target = data.split("@@", 1)[0]
    reason = await play_file(session, target)
    _respond(session, _playback_response(reason))


async def endless_playback(session: Session, data: str) -> None:
    while session.up:
        reason = await play_file(session, data)
        if reason != "done":
            break


async def gentones(session: Session, data: str) -> None:
    spec = data.split("|", 1)[0]
    await _timed_media(session, tone_stream_seconds(spec) or 0.0)


async def _timed_media(session: Session, seconds: float | None) -> str:
    with session.listening(_terminator_listener(session, remember=False)):
        return await session.media_wait(seconds)


async def speak(session: Session, data: str) -> None:
    """``speak engine|voice|text`` (TTS)."""
    text = data.split("|", 2)[-1]
    await _timed_media(session, session.switch.config.media.speech_seconds(text))


async def say(session: Session, data: str) -> None:
    """``say <lang> <type> <method> <text>`` (and ``phrase``)."""
    await _timed_media(session, session.switch.config.media.say_seconds(data))
    _respond(session, "PHRASE PLAYED" if session.current_app == "phrase" else "")


async def sleep(session: Session, data: str) -> None:
    """``sleep <ms>``, as mod_dptools: any digit ends it early and stays queued (the park
    loop takes it after the application returned); with ``sleep_eat_digits`` it takes the
    digits itself and only ``playback_terminators`` (``*`` unless set) end it, setting
    ``playback_terminator_used``. Without media (not answered) digits cannot come."""
    seconds = _int(data.strip(), 0) / 1000
    if seconds <= 0:
        return
    channel = session.channel
    if not (channel.answered or channel.early_media):
        await session.media_wait(seconds)
    elif channel.is_true("sleep_eat_digits"):
        channel.set_var("playback_terminator_used", None)
        with session.listening(_terminator_listener(session, remember=True)):
            await session.media_wait(seconds)
    else:
        with session.breaking_on_dtmf():
            if not session.dtmf_queue:
                await session.media_wait(seconds)


async def echo(session: Session, data: str) -> None:
    await session.media_wait(None)


def note_sent_dtmf(session: Session, data: str) -> float:
    """Record DTMF sent to the caller (``last_dtmf_duration``); returns its length (s)."""
    digits, _, ms = data.partition("@")
    per_digit = (int(ms) if ms.isdigit() else 250) + 250
    total = per_digit * len(digits)
    if total:
        session.channel.set_var("last_dtmf_duration", str(total))
    return total / 1000


async def send_dtmf(session: Session, data: str) -> None:
    await session.media_wait(note_sent_dtmf(session, data))


async def flush_dtmf(session: Session, data: str) -> None:
    """``flush_dtmf``: drop the digits queued on the channel and not yet taken."""
    session.dtmf_queue.clear()


# -- digits ----------------------------------------------------------------------------
class _Collector:
    """Gathers DTMF for ``read`` and ``play_and_get_digits``."""

    def __init__(self, session: Session, max_digits: int, terminators: str) -> None:
        self.session = session
        self.max_digits = max(1, max_digits)
        self.terminators = terminators
        self.digits = ""
        self.terminator = ""

    @property
    def complete(self) -> bool:
        return bool(self.terminator) or len(self.digits) >= self.max_digits

    def __call__(self, digit: str) -> None:
        if self.complete:
            return
        if digit in self.terminators:
            self.terminator = digit
        else:
            self.digits += digit
        self.session.interrupt("digit")


async def read_digits(
    session: Session,
    *,
    min_digits: int,
    max_digits: int,
    prompt: str,
    var_name: str,
    timeout_ms: int,
    terminators: str,
    digit_timeout_ms: int = 0,
) -> tuple[str, str]:
    """``switch_ivr_read``: play a prompt, collect digits; returns (result, digits)."""
    channel = session.channel
    digit_timeout_ms = digit_timeout_ms or timeout_ms
    max_digits = max(max_digits, min_digits)
    channel.set_var("read_result", None)
    if var_name:
        channel.set_var(var_name, None)
    session.pre_answer()
    collector = _Collector(session, max_digits, terminators)
    if prompt and prompt.lower() != "silence":

        def stop_prompt(digit: str) -> bool:
            collector(digit)
            return True

        reason = await play_file(session, prompt, on_digit=stop_prompt)
        if reason == "hangup":
            return "failure", ""
    timed_out = False
    with session.listening(collector):
        while not collector.complete and session.up:
            wait = digit_timeout_ms if collector.digits else timeout_ms
            reason = await session.media_wait(wait / 1000)
            if reason == "done":
                timed_out = True
                break
            if reason not in ("digit", "break"):
                break
    digits = collector.digits
    if collector.terminator:
        channel.set_var("read_terminator_used", collector.terminator)
    if not session.up:
        result = "failure"
    elif min_digits and len(digits) < min_digits:
        result = "failure"
    elif timed_out:
        result = "timeout"
    else:
        result = "success"
    channel.set_var("read_result", result)
    if var_name and digits:
        channel.set_var(var_name, digits)
    return result, digits


def _int(value: str, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


async def read(session: Session, data: str) -> None:
    """``read <min> <max> <sound_file> <variable_name> <timeout_ms> <terminators>
    [digit_timeout]``."""
    args = data.split()
    while len(args) < 6:
        args.append("")
    await read_digits(
        session,
        min_digits=_int(args[0], 0),
        max_digits=_int(args[1], 1),
        prompt=args[2],
        var_name=args[3],
        timeout_ms=_int(args[4], 5000),
        terminators=args[5] or "#",
        digit_timeout_ms=_int(args[6], 0) if len(args) > 6 else 0,
    )


async def play_and_get_digits(session: Session, data: str) -> None:
    """``play_and_get_digits <min> <max> <tries> <timeout> <terminators> <file>
    <invalid_file> <var_name> <regexp> [<digit_timeout>] [<transfer_on_failure>]``."""
    args = data.split(" ", 10)
    while len(args) < 9:
        args.append("")
    min_digits, max_digits = _int(args[0], 0), _int(args[1], 1)
    tries, timeout_ms = max(1, _int(args[2], 1)), _int(args[3], 5000)
    terminators, prompt, invalid, var_name, regexp = args[4:9]
    if terminators == "none":
        terminators = ""
    digit_timeout_ms = _int(args[9], 0) if len(args) > 9 else 0
    transfer_on_failure = args[10] if len(args) > 10 else ""
    channel = session.channel
    if regexp and var_name:
        channel.set_var(f"{var_name}_invalid", None)
    while session.up and tries:
        result, digits = await read_digits(
            session,
            min_digits=min_digits,
            max_digits=max_digits,
            prompt=prompt,
            var_name=var_name,
            timeout_ms=timeout_ms,
            terminators=terminators,
            digit_timeout_ms=digit_timeout_ms,
        )
        if result == "timeout" and len(digits) >= min_digits:
            result = "success"
        if min_digits == 0 and not digits and channel.get_var("read_terminator_used"):
            return
        if result == "success" and digits:
            if not regexp or re.search(regexp, digits):
                return
            channel.set_var(var_name, None)
            if var_name:
                channel.set_var(f"{var_name}_invalid", digits)
        if not session.up:
            return
        if invalid and invalid.lower() != "silence":
            await play_file(session, invalid, on_digit=lambda _d: False)
        tries -= 1
    if transfer_on_failure.strip() and session.up:
        parts = transfer_on_failure.split()
        session.transfer(parts[0], parts[2] if len(parts) > 2 else "")


# -- recording -------------------------------------------------------------------------
def _write_silence(path: str, seconds: float) -> int:
    """Write ``seconds`` of silent 8 kHz 16-bit WAV at ``path`` if its folder exists."""
    samples = int(min(seconds, MAX_WRITTEN_RECORDING_SECONDS) * SAMPLE_RATE)
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        return 44 + samples * 2
    try:
        with wave.open(path, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE)
            out.writeframes(b"\x00\x00" * samples)
    except OSError:
        log.warning("could not write emulated recording %s", path)
    return 44 + samples * 2


def _record_vars(session: Session, seconds: float) -> None:
    samples = int(seconds * SAMPLE_RATE)
    session.channel.set_vars(
        [
            ("record_samples", str(samples)),
            ("record_seconds", str(samples // SAMPLE_RATE)),
            ("record_ms", str(samples // 8)),
        ]
    )


async def record(session: Session, data: str) -> None:
    """``record <path> [<limit_secs>] [<silence_thresh>] [<silence_hits>]``.

    The emulated caller speaks for ``MediaCatalog.caller_speech_seconds`` then is silent: with
    silence detection (``silence_hits``) the recording ends that many seconds later
    (``silence_hits_exhausted``); it also ends at the time limit, on a terminator digit
    (``playback_terminators``), on break or on hangup. As ``switch_ivr_record_file``, it
    reads linear PCM meanwhile (a CODEC event each way) and its RECORD_STOP has no
    ``Record-Completion-Cause`` (that is ``record_session``'s).
    """
    args = data.split()
    if not args:
        return
    path = args[0]
    switch = session.switch
    limit = _int(args[1], 0) if len(args) > 1 else 0
    silence_hits = _int(args[3], 0) if len(args) > 3 else 0
    duration: float | None = float(limit) if limit > 0 else None
    silence_ends = False
    if silence_hits > 0:
        ends = switch.config.media.caller_speech_seconds + silence_hits
        silence_ends = duration is None or ends < duration
        duration = ends if duration is None else min(duration, ends)
    channel = session.channel
    channel.set_var("playback_terminator_used", None)
    channel.set_var("silence_hits_exhausted", "false")
    codec = channel.read_codec
    if codec is not None:
        session.set_read_codec(L16)
    session.fire("RECORD_START", site="RECORD_FILE_START", post=[("Record-File-Path", path)])
    started = switch.loop.time()
    with session.listening(_terminator_listener(session, remember=True)):
        reason = await session.media_wait(duration)
    elapsed = (switch.loop.time() - started) / (switch.config.time_scale or 1.0)
    if reason == "done" and duration is not None:
        elapsed = duration
        if silence_ends:
            channel.set_var("silence_hits_exhausted", "true")
    if httpfiles.is_remote(path):
        size = str(await httpfiles.upload_recording(path, elapsed))
    else:
        size = str(_write_silence(path, elapsed))
    samples = int(elapsed * SAMPLE_RATE)
    channel.set_vars(
        [
            ("record_record_file_size", size),
            ("record_file_size", size),
            ("record_seconds", str(samples // SAMPLE_RATE)),
            ("record_ms", str(samples // 8)),
            ("record_samples", str(samples)),
        ]
    )
    channel.read_codec = codec
    session.fire("RECORD_STOP", site="RECORD_FILE_STOP", post=[("Record-File-Path", path)])
    if codec is not None:
        session.set_read_codec(codec)


def start_recording_session(session: Session, path: str, limit: float = 0) -> bool:
    """Start a ``record_session`` media bug (RECORD_START, MEDIA_BUG_START)."""
    if path in session.recordings or not session.up:
        return False
    switch = session.switch
    session.recordings[path] = Recording(
        switch.loop.time(), lambda cause: stop_recording_session(session, path, cause)
    )
    session.fire("RECORD_START", post=[("Record-File-Path", path)])
    session.fire(
        "MEDIA_BUG_START",
        pre=[("Media-Bug-Function", "session_record"), ("Media-Bug-Target", path)],
    )
    if limit > 0:
        switch.loop.call_later(
            switch.scaled(limit), stop_recording_session, session, path, "success-maxtime"
        )
    return True


def stop_recording_session(session: Session, path: str, cause: str = "success-maxtime") -> bool:
    """Stop a ``record_session`` media bug (RECORD_STOP, MEDIA_BUG_STOP)."""
    recording = session.recordings.pop(path, None)
    if recording is None:
        return False
    switch = session.switch
    seconds = (switch.loop.time() - recording.started) / (switch.config.time_scale or 1.0)
    if httpfiles.is_remote(path):
        size = httpfiles.upload_later(switch, path, seconds)
    else:
        size = _write_silence(path, seconds)
    channel = session.channel
    channel.set_var("record_file_size", str(size))
    _record_vars(session, seconds)
    channel.set_var("record_completion_cause", cause)
    session.fire(
        "RECORD_STOP",
        post=[("Record-File-Path", path), ("Record-Completion-Cause", cause)],
    )
    session.fire(
        "MEDIA_BUG_STOP",
        pre=[("Media-Bug-Function", "session_record"), ("Media-Bug-Target", path)],
    )
    return True


async def record_session(session: Session, data: str) -> None:
    args = data.split()
    if args:
        start_recording_session(session, args[0], _int(args[1], 0) if len(args) > 1 else 0)


async def stop_record_session(session: Session, data: str) -> None:
    target = data.strip()
    paths = list(session.recordings) if target in ("", "all") else [target]
    for path in paths:
        stop_recording_session(session, path)


async def _instant(session: Session, data: str) -> None:
    """A real FreeSWITCH application the emulator does not model: it completes at once."""


INSTANT_APPLICATIONS = (
    "info",
    "log",
    "event",
    "presence",
    "db",
    "hash",
    "limit",
    "limit_execute",
    "unlimit",
    "bind_meta_app",
    "unbind_meta_app",
    "bind_digit_action",
    "clear_digit_action",
    "start_dtmf",
    "stop_dtmf",
    "spandsp_start_dtmf",
    "spandsp_stop_dtmf",
    "sched_cancel",
    "privacy",
    "set_audio_level",
    "verbose_events",
    "set_zombie_exec",
    "sound_test",
    "playback_terminators",
)

APPLICATIONS: dict[str, Application] = {
    "answer": answer,
    "pre_answer": pre_answer,
    "ring_ready": ring_ready,
    "park": park,
    "hangup": hangup,
    "transfer": transfer,
    "respond": respond,
    "sched_hangup": sched_hangup,
    "set": set_,
    "export": export,
    "multiset": multiset,
    "unset": unset,
    "set_global": set_global,
    "playback": playback,
    "endless_playback": endless_playback,
    "gentones": gentones,
    "speak": speak,
    "say": say,
    "phrase": say,
    "sleep": sleep,
    "echo": echo,
    "send_dtmf": send_dtmf,
    "flush_dtmf": flush_dtmf,
    "read": read,
    "play_and_get_digits": play_and_get_digits,
    "record": record,
    "record_session": record_session,
    "stop_record_session": stop_record_session,
    **dict.fromkeys(INSTANT_APPLICATIONS, _instant),
}
"""The applications of this module (mod_dptools' and the core's; ``bridge`` is in
:mod:`.originate`)."""

ZOMBIE_APPLICATIONS = frozenset({"set", "export", "unset", "multiset", "log", "info", "event"})
"""Applications FreeSWITCH still runs on a hung-up channel (``SAF_ZOMBIE_EXEC``)."""
