"""FreeSWITCH's mod_conference, as far as a controlling platform sees it.

The ``conference`` application (``<room>[@<profile>][+<pin>][+flags{a|b}]``) answers the
channel, creates the room on first use (``conference_max_members``, read from the first
member's channel as mod_conference does at creation) and adds the caller as a member
until the member is kicked, transferred or hangs up. A full or locked room is refused:
the application returns at once, no member is added (as ``conference_member_add`` is
never reached). The member's flags come from ``+flags{...}``: ``moderator``, ``mute``
(cannot speak), ``deaf`` (cannot hear), ``ghost``. The channel gets
``conference_name``, ``conference_member_id``, ``conference_moderator``,
``conference_ghost`` and ``conference_uuid`` as the real transcript shows.

The ``conference`` api command answers ``list`` (every room, or one room's members),
``mute``/``unmute``/``deaf``/``undeaf``/``kick`` (a member id, ``all``, ``last`` or
``non_moderator``), ``play <file> [<member id>]``, ``lock``/``unlock``, with the reply
texts of FreeSWITCH 1.10.12 (fixtures/freeswitch/conference.plain.txt).

Every change fires ``CUSTOM conference::maintenance`` with the ``Action`` FreeSWITCH
uses (conference-create, add-member, mute-member, unmute-member, deaf-member,
undeaf-member, kick-member, play-file, play-file-done, lock, unlock, del-member,
conference-destroy), with the room headers, the member's channel block (no variables)
and the member headers in the transcript's order. Not modelled: audio (talking, energy,
floor changes: ``Floor`` is always ``false``), caller controls, PINs asked by the switch
(the platform asks them), recording and video.

Auto outcall (a page: Kazoo's ``page`` command): ``conference_set_auto_outcall <dial
string>`` lists whom to call; when that channel joins a room, each is originated with the
channel's ``conference_auto_outcall_*`` variables and joins the room once answered, with
``conference_utils_auto_outcall_flags`` (``mute``: a one-way page), as
``conference_loop_output`` does (FreeSWITCH 1.10's source; no transcript has it). Not
modelled: ``conference_auto_outcall_announce`` / ``maxwait`` (the first member does not
wait for the outcalls) and the member beep.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from kazoo_tasks.esl.emulator.events import Pairs
from kazoo_tasks.esl.emulator.media import tone_stream_seconds
from kazoo_tasks.esl.emulator.originate import originate
from kazoo_tasks.esl.emulator.session import Session
from kazoo_tasks.esl.emulator.switch import Switch

MAINTENANCE = "conference::maintenance"
DEFAULT_PROFILE = "default"
OUTCALL_TIMEOUT = 60
"""Seconds an auto outcall rings when ``conference_auto_outcall_timeout`` is not 10-500."""
LIST_FLAGS = "running|answered|enforce_min|dynamic|exit_sound|enter_sound|json_status"
"""The room flags ``conference list`` shows for a room of the default profile."""
_FLAGS = re.compile(r"\+flags\{([^}]*)\}")
_MEMBER_ACTIONS = {
    "mute": ("speak", False, "mute-member", "mute"),
    "unmute": ("speak", True, "unmute-member", "unmute"),
    "deaf": ("hear", False, "deaf-member", "deaf"),
    "undeaf": ("hear", True, "undeaf-member", "undeaf"),
}
"""api sub-command -> (member attribute, value, event Action, reply word)."""


@dataclass
class Member:
    """One member of a room."""

    id: int
    session: Session
    moderator: bool = False
    ghost: bool = False
    speak: bool = True
    hear: bool = True
    kicked: bool = False


@dataclass
class Room:
    """One running conference."""

    name: str
    domain: str
    profile: str
    max_members: int = 0
    locked: bool = False
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    members: dict[int, Member] = field(default_factory=dict)
    next_id: int = 1

    @property
    def size(self) -> int:
        return sum(1 for m in self.members.values() if not m.ghost)

    @property
    def ghosts(self) -> int:
        return sum(1 for m in self.members.values() if m.ghost)

    def newest_first(self) -> list[Member]:
        """Members as FreeSWITCH walks them (the last to join first)."""
        return sorted(self.members.values(), key=lambda m: -m.id)


class Conferences:
    """The switch's rooms: the ``conference`` application and api command."""

    def __init__(self, switch: Switch) -> None:
        self.switch = switch
        self.rooms: dict[str, Room] = {}
        self.autocalls: dict[str, list[str]] = {}
        """Each channel's ``conference_set_auto_outcall`` dial strings, by uuid."""

    def install(self) -> None:
        """Add the applications and the api command to the switch (as loading the module)."""
        self.switch.applications.load(
            {"conference": self.application, "conference_set_auto_outcall": self.auto_outcall}
        )
        self.switch.extra_api["conference"] = self.api

    # -- auto outcall (a page) ----------------------------------------------------------
    async def auto_outcall(self, session: Session, data: str) -> None:
        """``conference_set_auto_outcall <dial string>``: call it when this channel joins
        a room (several add up; an empty argument clears the list)."""
        if data.strip():
            self.autocalls.setdefault(session.uuid, []).append(data.strip())
        else:
            self.autocalls.pop(session.uuid, None)

    def _start_outcalls(self, room: Room, session: Session) -> None:
        """What mod_conference does when a member with an auto-outcall list joins
        (``conference_loop_output``): each dial string of the list (split on
        ``conference_auto_outcall_delimiter``, else ``,``), after
        ``conference_auto_outcall_prefix``, is originated with the
        ``conference_auto_outcall_*`` caller id and timeout (10-500 s, else 60) and joins
        the room with ``conference_utils_auto_outcall_flags`` once answered."""
        calls = self.autocalls.pop(session.uuid, None)
        if not calls:
            return
        var = session.channel.get_var
        timeout = _int(var("conference_auto_outcall_timeout", ""))
        timeout = timeout if 10 <= timeout <= 500 else OUTCALL_TIMEOUT
        delimiter = var("conference_auto_outcall_delimiter", "")
        delimiter = delimiter if len(delimiter) == 1 else ","
        caller = [
            f"origination_caller_id_{part}='{var(f'conference_auto_outcall_caller_id_{part}', '')}'"
            for part in ("name", "number")
        ]
        head = "{" + ",".join([f"originate_timeout={timeout}", *caller]) + "}"
        flags = var("conference_utils_auto_outcall_flags", "")
        profile = var("conference_auto_outcall_profile", "") or room.profile
        target = f"{room.name}@{profile}" + (f"+flags{{{flags}}}" if flags else "")
        prefix = var("conference_auto_outcall_prefix", "")
        for text in calls:
            for dial in filter(None, (part.strip() for part in text.split(delimiter))):
                self.switch.loop.create_task(self._outcall(head + prefix + dial, target))

    async def _outcall(self, dial: str, target: str) -> None:
        outcome = await originate(self.switch, dial)
        if outcome.leg is not None:
            outcome.leg.after_answer.set_result(lambda _session: [("conference", target)])

    # -- events -------------------------------------------------------------------------
    def _fire(
        self,
        room: Room,
        action: str,
        member: Member | None = None,
        *,
        before: Pairs = (),  # type: ignore[assignment]
        after: Pairs = (),  # type: ignore[assignment]
    ) -> None:
        pre: Pairs = [
            ("Conference-Name", room.name),
            ("Conference-Domain", room.domain),
            ("Conference-Size", str(room.size)),
            ("Conference-Ghosts", str(room.ghosts)),
            ("Conference-Profile-Name", room.profile),
            ("Conference-Unique-ID", room.uuid),
        ]
        post: Pairs = []
        channel = None
        if member is not None:
            pre.append(("Floor", "false"))
            channel = member.session.channel
            post = [
                ("Video", "false"),
                ("Hear", _bool(member.hear)),
                ("See", "true"),
                ("Speak", _bool(member.speak)),
                ("Talking", "false"),
                ("Mute-Detect", "false"),
                ("Hold", "false"),
                ("Member-ID", str(member.id)),
                ("Member-Type", "moderator" if member.moderator else "member"),
                ("Member-Ghost", _bool(member.ghost)),
                ("Energy-Level", "100"),
                ("Current-Energy", "0"),
            ]
        post.extend(before)
        post.append(("Action", action))
        post.extend(after)
        self.switch.fire(
            "CUSTOM",
            subclass=MAINTENANCE,
            site=f"{MAINTENANCE}:{action}",
            channel=channel,
            pre=pre,
            post=post,
        )

    # -- the application ----------------------------------------------------------------
    async def application(self, session: Session, data: str) -> None:
        """``conference <room>[@<profile>][+<pin>][+flags{...}]``."""
        flags_found = _FLAGS.search(data)
        flags = set(flags_found.group(1).split("|")) if flags_found else set()
        target = _FLAGS.sub("", data).split("+", 1)[0].strip()
        name, _, profile = target.partition("@")
        if not name:
            return
        session.answer()
        room = self.rooms.get(name)
        if room is None:
            room = Room(name, self.switch.config.sofia.ip, profile or DEFAULT_PROFILE)
            room.max_members = _int(session.channel.get_var("conference_max_members", ""))
            self.rooms[name] = room
            self._fire(room, "conference-create")
        if room.locked or (room.max_members and room.size >= room.max_members):
            self._close_if_empty(room)
            return
        member = Member(
            room.next_id,
            session,
            moderator="moderator" in flags,
            ghost="ghost" in flags,
            speak="mute" not in flags,
            hear="deaf" not in flags,
        )
        room.next_id += 1
        room.members[member.id] = member
        session.channel.set_vars(
            [
                ("conference_name", room.name),
                ("conference_member_id", str(member.id)),
                ("conference_moderator", _bool(member.moderator)),
                ("conference_ghost", _bool(member.ghost)),
                ("conference_uuid", room.uuid),
            ]
        )
        self._fire(room, "add-member", member)
        self._start_outcalls(room, session)
        while session.up and not member.kicked:
            reason = await session.media_wait(None)
            if reason not in ("break", "dtmf"):
                break
        del room.members[member.id]
        self._fire(room, "del-member", member)
        self._close_if_empty(room)

    def _close_if_empty(self, room: Room) -> None:
        if not room.members and self.rooms.get(room.name) is room:
            del self.rooms[room.name]
            self._fire(room, "conference-destroy")

    # -- the api command ----------------------------------------------------------------
    def api(self, switch: Switch, args: str) -> str:
        """``conference list`` / ``conference <room> <command> [...]``."""
        words = args.split()
        if not words:
            return "-ERR Conference command requires an argument\n"
        if words[0] == "list":
            if not self.rooms:
                return "-ERR No active conferences.\n"
            rooms = self.rooms.values()
            return "".join(self._summary(room) + self._member_lines(room) for room in rooms)
        room = self.rooms.get(words[0])
        if room is None:
            return f"-ERR Conference {words[0]} not found\n"
        switch.record_room_api([m.session for m in room.members.values()], "conference", args)
        command, rest = (words[1], words[2:]) if len(words) > 1 else ("", [])
        if command == "list":
            return self._member_lines(room)
        if command in _MEMBER_ACTIONS:
            return self._each(room, rest, lambda m: self._set(room, m, command))
        if command == "kick":
            return self._each(room, rest, lambda m: self._kick(room, m))
        if command == "play" and rest:
            return self._play(room, rest)
        if command in ("lock", "unlock"):
            room.locked = command == "lock"
            self._fire(room, command)
            return f"+OK {room.name} {command}ed\n"
        return f"-ERR Unknown conference command {command}\n"

    def _summary(self, room: Room) -> str:
        return (
            f"+OK Conference {room.name} ({room.size} member{'' if room.size == 1 else 's'}"
            f" rate: 8000 flags: {LIST_FLAGS})\n"
        )

    def _member_lines(self, room: Room) -> str:
        lines = []
        for m in room.newest_first():
            shown = (("hear", m.hear), ("speak", m.speak), ("moderator", m.moderator))
            flags = "|".join(name for name, on in shown if on)
            channel = m.session.channel
            profile = channel.profile
            lines.append(
                ";".join(
                    [
                        str(m.id),
                        channel.name,
                        channel.uuid,
                        profile.caller_id_name if profile else "",
                        profile.caller_id_number if profile else "",
                        flags,
                        "0",
                        "0",
                        "100",
                    ]
                )
                + "\n"
            )
        return "".join(lines)

    def _each(self, room: Room, rest: list[str], apply: Callable[[Member], str]) -> str:
        which = rest[0] if rest else ""
        if which == "all":
            chosen = room.newest_first()
        elif which == "last":
            chosen = room.newest_first()[:1]
        elif which == "non_moderator":
            chosen = [m for m in room.newest_first() if not m.moderator]
        elif which.isdigit() and int(which) in room.members:
            chosen = [room.members[int(which)]]
        elif which.isdigit():
            return f"-ERR Non-Existant ID {which}\n"
        else:
            return "-ERR Invalid member ID\n"
        return "".join(apply(member) for member in chosen)

    def _set(self, room: Room, member: Member, command: str) -> str:
        attribute, value, action, word = _MEMBER_ACTIONS[command]
        setattr(member, attribute, value)
        self._fire(room, action, member)
        return f"+OK {word} {member.id}\n"

    def _kick(self, room: Room, member: Member) -> str:
        member.kicked = True
        self._fire(room, "kick-member", member)
        member.session.interrupt("kick")
        return f"+OK kicked {member.id}\n"

    def _play(self, room: Room, rest: list[str]) -> str:
        path = rest[0]
        member = None
        if len(rest) > 1:
            member = room.members.get(int(rest[1])) if rest[1].isdigit() else None
            if member is None:
                return f"-ERR Member: {rest[1]} not found.\n"
        seconds = _seconds(path)
        action = "play-file-member" if member else "play-file"
        self._fire(room, action, member, after=[("File", path), ("Async", "false")])
        samples = int(seconds * 8000)
        length = [
            ("seconds", str(int(seconds))),
            ("milliseconds", str(int(seconds * 1000))),
            ("samples", str(samples)),
        ]
        self.switch.loop.call_later(
            self.switch.scaled(seconds),
            functools.partial(
                self._fire, room, f"{action}-done", member, before=length, after=[("File", path)]
            ),
        )
        if member is not None:
            return f"+OK (play) Playing file {path} to member {member.id}\n"
        return f"+OK (play) Playing file {path}\n"


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _seconds(path: str) -> float:
    """How long a file plays into a room (a tone stream: its length; anything else: 1 s)."""
    if path.startswith("tone_stream://"):
        return tone_stream_seconds(path.removeprefix("tone_stream://")) or 0.0
    return 1.0


def _int(text: str) -> int:
    return int(text) if text.strip().isdigit() else 0
