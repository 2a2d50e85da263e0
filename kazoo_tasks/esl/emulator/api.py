"""``api`` / ``bgapi`` commands of the emulated switch, answering as FreeSWITCH 1.10.12 does.

Each command takes the switch and its argument string and returns the reply text, or an
awaitable of it for commands that take time (``originate``). Unknown commands answer
``-ERR <cmd> Command not found!``. Commands named ``emulator_*`` are the emulator's own
(placing scripted calls, registrations, endpoint rules); a real FreeSWITCH does not know
them, so nothing written for a real switch can depend on them by accident.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable

from kazoo_tasks.esl.emulator import apps, bridging, originate
from kazoo_tasks.esl.emulator.session import Message, Session
from kazoo_tasks.esl.emulator.switch import Switch

ApiResult = str | Awaitable[str]
ApiCommand = Callable[[Switch, str], ApiResult]

NO_SUCH_CHANNEL = "-ERR No such channel!\n"
NO_SESSION = "-ERR Cannot locate session!\n"
ORIGINATE_USAGE = (
    "-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] "
    "[<cid_name>] [<cid_num>] [<timeout_sec>]\n"
)
VERSION = "FreeSWITCH Version 1.10.12-release~64bit ( 64bit)"


def split_args(text: str) -> list[str]:
    """Split on spaces outside ``{}``, ``[]`` and single quotes (as originate needs)."""
    out: list[str] = []
    current: list[str] = []
    depth, quote = 0, False
    for ch in text:
        if ch == "'" and depth:
            quote = not quote
        elif not quote and ch in "{[":
            depth += 1
        elif not quote and ch in "}]":
            depth = max(0, depth - 1)
        if ch == " " and not depth and not quote:
            if current:
                out.append("".join(current))
                current = []
            continue
        current.append(ch)
    if current:
        out.append("".join(current))
    return out


class Refusal(Exception):
    """Ends a command early with ``reply`` (a usage line or an error), as FreeSWITCH does."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


def _session(switch: Switch, uuid_: str) -> Session | None:
    return switch.session(uuid_) if uuid_ else None


def _words(
    args: str, least: int, usage: str, sep: str | None = None, maxsplit: int = -1
) -> list[str]:
    """The arguments split as the command reads them; refused with ``usage`` when fewer
    than ``least``."""
    words = args.split(sep, maxsplit)
    if len(words) < least:
        raise Refusal(usage)
    return words


def _channel(switch: Switch, uuid_: str, missing: str = NO_SUCH_CHANNEL) -> Session:
    """The session ``uuid_`` names; refused with ``missing`` when there is none."""
    session = _session(switch, uuid_)
    if session is None:
        raise Refusal(missing)
    return session


# -- core ------------------------------------------------------------------------------
def status(switch: Switch, args: str) -> str:
    live = len(switch.sessions)
    return (
        f"UP {switch.uptime_text()}\n"
        "FreeSWITCH (Version 1.10.12-release  64bit) is ready\n"
        f"{switch.stats.calls_created} session(s) since startup\n"
        f"{live} session(s) - peak {live}, last 5min {live} \n"
        "0 session(s) per Sec out of max 1000, peak 0, last 5min 0 \n"
        "10000 session(s) max\n"
        "min idle cpu 0.00/100.00\n"
        "Current Stack Size/Max 240K/8192K\n"
    )


def version(switch: Switch, args: str) -> str:
    return VERSION + "\n"


def global_getvar(switch: Switch, args: str) -> str:
    name = args.strip()
    if not name:
        return "".join(f"{k}={v}\n" for k, v in switch.globals.items())
    return switch.globals.get(name, "")


def global_setvar(switch: Switch, args: str) -> str:
    name, _, value = args.partition("=")
    if not name.strip():
        return "-USAGE: <var>=<value> [=<value2>]\n"
    switch.globals[name.strip()] = value.strip()
    return "+OK"  # mod_commands writes no newline here


def hostname(switch: Switch, args: str) -> str:
    return switch.config.hostname


# -- show ------------------------------------------------------------------------------
_CHANNEL_COLUMNS = (
    "uuid,direction,created,created_epoch,name,state,cid_name,cid_num,ip_addr,dest,application,"
    "application_data,dialplan,context,read_codec,read_rate,read_bit_rate,write_codec,"
    "write_rate,write_bit_rate,secure,hostname,presence_id,presence_data,accountcode,callstate,"
    "callee_name,callee_num,callee_direction,call_uuid,sent_callee_name,sent_callee_num,"
    "initial_cid_name,initial_cid_num,initial_ip_addr,initial_dest,initial_dialplan,"
    "initial_context"
).split(",")

_CALL_COLUMNS = (
    "uuid,direction,created,created_epoch,name,state,cid_name,cid_num,ip_addr,dest,presence_id,"
    "presence_data,accountcode,callstate,callee_name,callee_num,callee_direction,call_uuid,"
    "hostname,sent_callee_name,sent_callee_num,b_uuid,b_direction,b_created,b_created_epoch,"
    "b_name,b_state,b_cid_name,b_cid_num,b_ip_addr,b_dest,b_presence_id,b_presence_data,"
    "b_accountcode,b_callstate,b_callee_name,b_callee_num,b_callee_direction,"
    "b_sent_callee_name,b_sent_callee_num,call_created_epoch"
).split(",")


def _channel_row(switch: Switch, session: Session) -> dict[str, str]:
    channel = session.channel
    profile = channel.profile
    created = session.created_us // 1_000_000
    row = dict.fromkeys(_CHANNEL_COLUMNS, "")
    row.update(
        uuid=session.uuid,
        direction=channel.direction,
        created=time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(created)),
        created_epoch=str(created),
        name=channel.name,
        state=channel.running_state,
        application=session.current_app or channel.get_var("current_application"),
        application_data=channel.get_var("current_application_data"),
        read_codec=channel.read_codec.name if channel.read_codec else "",
        read_rate=channel.read_codec.rate if channel.read_codec else "",
        read_bit_rate=channel.read_codec.bit_rate if channel.read_codec else "",
        write_codec=channel.write_codec.name if channel.write_codec else "",
        write_rate=channel.write_codec.rate if channel.write_codec else "",
        write_bit_rate=channel.write_codec.bit_rate if channel.write_codec else "",
        hostname=switch.config.hostname,
        presence_id=channel.get_var("presence_id"),
        callstate=channel.callstate,
    )
    if profile is not None:
        row.update(
            cid_name=profile.caller_id_name,
            cid_num=profile.caller_id_number,
            ip_addr=profile.network_addr,
            dest=profile.destination_number,
            dialplan=profile.dialplan,
            context=profile.context,
            callee_name=profile.callee_id_name,
            callee_num=profile.callee_id_number,
            initial_cid_name=profile.orig_caller_id_name,
            initial_cid_num=profile.orig_caller_id_number,
            initial_ip_addr=profile.network_addr,
            initial_dest=profile.destination_number,
            initial_dialplan=profile.dialplan,
            initial_context=profile.context,
        )
    if session.partner is not None:
        row["call_uuid"] = channel.get_var("call_uuid")
    return row


def _call_row(switch: Switch, session: Session) -> dict[str, str]:
    a = _channel_row(switch, session)
    row = dict.fromkeys(_CALL_COLUMNS, "")
    for key in _CALL_COLUMNS:
        if key in a:
            row[key] = a[key]
    row["call_uuid"] = a["call_uuid"]
    peer = session.partner
    if peer is not None:
        b = _channel_row(switch, peer)
        for key in _CALL_COLUMNS:
            if key.startswith("b_") and key[2:] in b:
                row[key] = b[key[2:]]
        row["call_created_epoch"] = a["created_epoch"]
    return row


def _rows_json(rows: list[dict[str, str]]) -> str:
    if not rows:
        return '{"row_count": 0}\n'
    return json.dumps({"row_count": len(rows), "rows": rows}, separators=(",", ":"))


def _rows_csv(columns: list[str], rows: list[dict[str, str]]) -> str:
    lines = [",".join(columns)]
    lines += [",".join(row[c] for c in columns) for row in rows]
    return "\n".join(lines) + f"\n\n{len(rows)} total.\n"


def show(switch: Switch, args: str) -> str:
    words = args.split()
    if not words:
        return "-USAGE: channels|calls|registrations [as json]\n"
    what = words[0]
    as_json = words[-2:] == ["as", "json"]
    sessions = [s for s in switch.sessions.values() if s.up]
    if what == "channels":
        rows = [_channel_row(switch, s) for s in sessions]
        return _rows_json(rows) if as_json else _rows_csv(_CHANNEL_COLUMNS, rows)
    if what == "calls":
        bridged_b = {s.partner.uuid for s in sessions if s.partner and s.bridge_originator}
        rows = [_call_row(switch, s) for s in sessions if s.uuid not in bridged_b]
        return _rows_json(rows) if as_json else _rows_csv(_CALL_COLUMNS, rows)
    if what == "registrations":
        rows = [
            {
                "reg_user": r.user,
                "realm": r.realm,
                "token": r.call_id,
                "url": f"sofia/{switch.config.sofia.name}/{r.contact}",
                "expires": str(int(r.registered_at) + r.expires),
                "network_ip": r.contact_ip,
                "network_port": str(r.contact_port),
                "network_proto": "udp",
                "hostname": switch.config.hostname,
                "metadata": "",
            }
            for r in switch.registrations.values()
        ]
        if as_json:
            return _rows_json(rows)
        columns = list(rows[0]) if rows else ["reg_user", "realm", "token", "url", "expires"]
        return _rows_csv(columns, rows)
    return f"-ERR {what} not supported by the emulator\n"


# -- channels --------------------------------------------------------------------------
def uuid_answer(switch: Switch, args: str) -> str:
    session = _session(switch, args.strip())
    if session is None or not session.answer():
        return "-ERROR\n"
    return "+OK\n"


def uuid_pre_answer(switch: Switch, args: str) -> str:
    session = _session(switch, args.strip())
    if session is None or not session.pre_answer():
        return "-ERROR\n"
    return "+OK\n"


def uuid_kill(switch: Switch, args: str) -> str:
    words = _words(args, 1, "-USAGE: <uuid> [cause]\n")
    session = _channel(switch, words[0])
    if not session.up:
        return NO_SUCH_CHANNEL
    session.hangup(words[1] if len(words) > 1 else "NORMAL_CLEARING")
    return "+OK\n"


def uuid_break(switch: Switch, args: str) -> str:
    words = _words(args, 1, "-USAGE: <uuid> [all]\n")
    session = _channel(switch, words[0])
    flags = " ".join(words[1:])
    session.break_media(flush="all" in flags)
    if "both" in flags and session.partner is not None:
        session.partner.break_media(flush="all" in flags)
    return "+OK\n"


def uuid_exists(switch: Switch, args: str) -> str:
    session = _session(switch, args.strip())
    return "true" if session is not None and session.up else "false"


def uuid_getvar(switch: Switch, args: str) -> str:
    words = _words(args, 2, "-USAGE: <uuid> <var>\n")
    session = _channel(switch, words[0])
    return session.channel.variables.get(words[1], "_undef_")


def uuid_setvar(switch: Switch, args: str) -> str:
    words = _words(args, 2, "-USAGE: <uuid> <var> [value]\n", sep=" ", maxsplit=2)
    session = _channel(switch, words[0])
    if not words[1]:
        return "-ERR No variable specified\n"
    session.channel.set_var(words[1], words[2] if len(words) > 2 else None)
    return "+OK\n"


def uuid_setvar_multi(switch: Switch, args: str) -> str:
    uuid_, _, assignments = args.partition(" ")
    session = _channel(switch, uuid_)
    for item in assignments.split(";"):
        name, _, value = item.partition("=")
        if name.strip():
            session.channel.set_var(name.strip(), value or None)
    return "+OK\n"


AUDIO_USAGE = "-USAGE: <uuid> [start [read|write] [mute|level <level>]|stop]\n"


def uuid_audio(switch: Switch, args: str) -> str:
    """mod_commands' ``uuid_audio``: mute or change the level of what the channel reads
    (hears from its caller) or writes (sends to it). Media is time here: the channel and
    the syntax are checked, nothing is heard differently."""
    words = _words(args, 2, AUDIO_USAGE)
    _channel(switch, words[0])
    if words[1] == "stop":
        return "+OK Success\n"
    if words[1] != "start" or len(words) < 5 or words[2] not in ("read", "write"):
        return AUDIO_USAGE
    return "+OK Success\n" if words[3] in ("mute", "level") else AUDIO_USAGE


def uuid_dump(switch: Switch, args: str) -> str:
    words = _words(args, 1, "-USAGE: <uuid> [format]\n")
    session = _channel(switch, words[0])
    switch.sequence += 1
    event = switch.build_event("CHANNEL_DATA", channel=session.channel, sequence=switch.sequence)
    pairs = event.pairs()
    if len(words) > 1 and words[1] == "json":
        obj: dict[str, str] = {}
        for name, value in pairs:
            obj.setdefault(name, value)
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return "".join(f"{name}: {value}\n" for name, value in pairs)


_TRANSFER_USAGE = "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n"


def uuid_transfer(switch: Switch, args: str) -> str:
    words = _words(args, 2, _TRANSFER_USAGE)
    session = _channel(switch, words[0])
    rest = words[1:]
    if rest[0] in ("-bleg", "-both"):
        rest = rest[1:]
    if not rest:
        return _TRANSFER_USAGE
    session.transfer(rest[0], rest[2] if len(rest) > 2 else "")
    return "+OK\n"


def uuid_park(switch: Switch, args: str) -> str:
    session = _channel(switch, args.strip())
    if not session.parked:
        session.transfer_to = None
        session.redirect = session.park
        session.interrupt("transfer")
    return "+OK\n"


def uuid_broadcast(switch: Switch, args: str) -> str:
    words = _words(args, 2, "-USAGE: <uuid> <path> [aleg|bleg|holdb|both]\n", sep=" ")
    session = _channel(switch, words[0], "-ERR invalid uuid\n")
    legs = words[2] if len(words) > 2 else "aleg"
    targets = []
    if legs in ("aleg", "both", "holdb"):
        targets.append(session)
    if legs in ("bleg", "both") and session.partner is not None:
        targets.append(session.partner)
    path = words[1]
    app, _, arg = path.partition("::")
    if not arg:
        app, arg = "playback", path
    for target in targets:
        switch.sequence += 1
        command = switch.build_event(
            "COMMAND",
            post=[
                ("call-command", "execute"),
                ("execute-app-name", app),
                ("execute-app-arg", arg),
                ("event-lock", "true"),
                ("lead-frames", "5"),
            ],
            sequence=switch.sequence,
        )
        message = Message("execute", app=app, arg=arg, event_uuid=switch.new_uuid())
        message.announce = command.pairs()
        target.enqueue(message)
    return "+OK Message sent\n"


def uuid_record(switch: Switch, args: str) -> str:
    words = _words(
        args, 3, "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n"
    )
    session = _channel(switch, words[0], NO_SESSION)
    action, path = words[1], words[2]
    if action == "start":
        limit = float(words[3]) if len(words) > 3 and words[3].isdigit() else 0
        if not apps.start_recording_session(session, path, limit):
            return "-ERR Cannot record session!\n"
        return "+OK Success\n"
    if action == "stop":
        paths = list(session.recordings) if path == "all" else [path]
        stopped = [apps.stop_recording_session(session, p) for p in paths]
        if not any(stopped):
            return "-ERR Cannot stop record session!\n"
        return "+OK Success\n"
    return "+OK Success\n"


_DTMF_USAGE = "-USAGE: <uuid> <dtmf_data>\n"


def uuid_recv_dtmf(switch: Switch, args: str) -> str:
    words = _words(args, 2, _DTMF_USAGE)
    session = _channel(switch, words[0], NO_SESSION)
    digits = words[1].split("@", 1)[0]
    for digit in digits:
        if digit in "0123456789*#ABCDabcd":
            session.receive_dtmf(digit.upper(), source="APP")
    return f"+OK {session.uuid} received DTMF {words[1]}.\n"


def uuid_send_dtmf(switch: Switch, args: str) -> str:
    words = _words(args, 2, _DTMF_USAGE)
    session = _channel(switch, words[0], NO_SESSION)
    apps.note_sent_dtmf(session, words[1])
    return f"+OK {session.uuid} sent DTMF {words[1]}.\n"


def uuid_bridge(switch: Switch, args: str) -> str:
    words = _words(args, 2, "-USAGE: <uuid> <other_uuid>\n")
    a, b = _session(switch, words[0]), _session(switch, words[1])
    if a is None or b is None or not a.up or not b.up:
        return "-ERR Invalid uuid\n"
    bridging.uuid_bridge(a, b)
    return f"+OK {b.uuid}\n"


# -- originate -------------------------------------------------------------------------
def _after_answer(text: str, context: str) -> Callable[[Session], list[tuple[str, str]]]:
    if text.startswith("&"):
        body = text[1:]
        name, _, rest = body.partition("(")
        arg = rest[:-1] if rest.endswith(")") else rest
        return lambda _session: [(name.strip(), arg)]
    return lambda session: session.switch.route(session.channel, text, context)


async def _originate(switch: Switch, args: str) -> str:
    words = split_args(args)
    if len(words) < 2:
        return ORIGINATE_USAGE
    dial, target = words[0], words[1]
    context = words[3] if len(words) > 3 else ""
    if len(words) > 6 and words[6].isdigit():
        dial = "{originate_timeout=" + words[6] + "}" + dial
    outcome = await originate.originate(switch, dial)
    if outcome.leg is None:
        return f"-ERR {outcome.cause}\n"
    outcome.leg.after_answer.set_result(_after_answer(target, context))
    return f"+OK {outcome.leg.uuid}\n"


def originate_command(switch: Switch, args: str) -> ApiResult:
    return _originate(switch, args)


# -- sofia -----------------------------------------------------------------------------
def sofia_contact(switch: Switch, args: str) -> str:
    target = args.strip().split("/")[-1]
    user, _, realm = target.partition("@")
    registration = switch.find_registration(user, realm)
    if registration is None:
        return "error/user_not_registered"
    return f"sofia/{switch.config.sofia.name}/{registration.contact}"


def sofia(switch: Switch, args: str) -> str:
    """``sofia status`` and ``sofia status profile <name>`` in FreeSWITCH's layout."""
    profile = switch.config.sofia
    words = args.split()
    if words[:1] != ["status"]:
        return "-ERR the emulator only answers sofia status\n"
    line = "=" * 97
    calls = len(switch.sessions)
    if len(words) >= 3 and words[1] == "profile":
        if words[2] != profile.name:
            return f"Invalid Profile [{words[2]}]\n"
        inbound = sum(1 for s in switch.sessions.values() if s.channel.direction == "inbound")
        fields = [
            ("Name", profile.name),
            ("Domain Name", "N/A"),
            ("Auto-NAT", "false"),
            ("DBName", f"sofia_reg_{profile.name}"),
            ("Pres Hosts", ""),
            ("Dialplan", "XML"),
            ("Context", switch.config.context),
            ("Challenge Realm", "auto_to"),
            ("RTP-IP", profile.ip),
            ("Ext-RTP-IP", profile.ip),
            ("SIP-IP", profile.ip),
            ("Ext-SIP-IP", profile.ip),
            ("URL", profile.url),
            ("BIND-URL", f"{profile.url};maddr={profile.ip};transport=udp,tcp"),
            ("HOLD-MUSIC", "silence_stream://-1"),
            ("OUTBOUND-PROXY", "N/A"),
            ("CODECS IN", "PCMU,PCMA"),
            ("CODECS OUT", "PCMU,PCMA"),
            ("TEL-EVENT", "101"),
            ("DTMF-MODE", "rfc2833"),
            ("CNG", "13"),
            ("SESSION-TO", "0"),
            ("MAX-DIALOG", "0"),
            ("MAX-RECV-RPS", "1000"),
            ("NOMEDIA", "false"),
            ("LATE-NEG", "false"),
            ("PROXY-MEDIA", "false"),
            ("AGGRESSIVENAT", "false"),
            ("CALLS-IN", str(inbound)),
            ("FAILED-CALLS-IN", "0"),
            ("CALLS-OUT", str(calls - inbound)),
            ("FAILED-CALLS-OUT", "0"),
            ("REGISTRATIONS", str(len(switch.registrations))),
        ]
        return line + "\n" + "".join(f"{name:<17}\t{value}\n" for name, value in fields)
    return (
        f"{'Name':>25}\t{'Type':>7}\t{'Data':>42}\tState\n{line}\n"
        f"{profile.name:>25}\tprofile\t{profile.url:>42}\tRUNNING ({calls})\n"
        f"{line}\n1 profile 0 aliases\n"
    )


COMMANDS: dict[str, ApiCommand] = {
    "status": status,
    "version": version,
    "hostname": hostname,
    "global_getvar": global_getvar,
    "global_setvar": global_setvar,
    "show": show,
    "uuid_answer": uuid_answer,
    "uuid_pre_answer": uuid_pre_answer,
    "uuid_kill": uuid_kill,
    "uuid_break": uuid_break,
    "uuid_exists": uuid_exists,
    "uuid_getvar": uuid_getvar,
    "uuid_setvar": uuid_setvar,
    "uuid_setvar_multi": uuid_setvar_multi,
    "uuid_dump": uuid_dump,
    "uuid_audio": uuid_audio,
    "uuid_transfer": uuid_transfer,
    "uuid_park": uuid_park,
    "uuid_broadcast": uuid_broadcast,
    "uuid_record": uuid_record,
    "uuid_recv_dtmf": uuid_recv_dtmf,
    "uuid_send_dtmf": uuid_send_dtmf,
    "uuid_bridge": uuid_bridge,
    "originate": originate_command,
    "sofia": sofia,
    "sofia_contact": sofia_contact,
}


def execute(switch: Switch, command: str, args: str) -> ApiResult:
    """Run one api command; unknown ones answer as FreeSWITCH does."""
    handler = COMMANDS.get(command) or switch.extra_api.get(command)
    if handler is None:
        return f"-ERR {command} Command not found!\n"
    try:
        return handler(switch, args)
    except Refusal as refusal:
        return refusal.reply


async def run(switch: Switch, command: str, args: str) -> str:
    """Run one api command to completion (for ``bgapi`` and the blocking path)."""
    result = execute(switch, command, args)
    if isinstance(result, str):
        return result
    return await result


def fire_api_event(switch: Switch, command: str, args: str) -> None:
    """The API event FreeSWITCH fires for every api command it executes."""
    post = [("API-Command", command)]
    if args:
        post.append(("API-Command-Argument", args))
    switch.fire("API", post=post)


def install_hangup_hook(switch: Switch) -> None:
    """FreeSWITCH's ``api_hangup_hook``: the api command in that channel variable runs
    when the channel hangs up (``switch_core_session_hangup_state``)."""

    def run_hook(session: Session) -> None:
        hook = session.channel.get_var("api_hangup_hook", "").strip()
        if not hook:
            return
        command, _, args = hook.partition(" ")
        fire_api_event(switch, command, args)
        result = execute(switch, command, args)
        if not isinstance(result, str):
            switch.loop.create_task(result)  # type: ignore[arg-type]

    switch.hangup_hooks.append(run_hook)
