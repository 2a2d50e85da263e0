"""The channel variables a SIP (mod_sofia) leg of FreeSWITCH 1.10.12 carries, moment by moment.

Each function returns the ``(name, value)`` pairs FreeSWITCH sets at one point of a leg's
life, in the order it sets them (the order shows in events: a variable set again moves to
the end). The lists come from the real transcripts in ``tests/fixtures/freeswitch``.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from kazoo_tasks.esl.emulator.events import Pairs

Q850 = {
    "NONE": 0,
    "UNALLOCATED_NUMBER": 1,
    "NO_ROUTE_DESTINATION": 3,
    "NORMAL_CLEARING": 16,
    "USER_BUSY": 17,
    "NO_USER_RESPONSE": 18,
    "NO_ANSWER": 19,
    "SUBSCRIBER_ABSENT": 20,
    "CALL_REJECTED": 21,
    "NUMBER_CHANGED": 22,
    "DESTINATION_OUT_OF_ORDER": 27,
    "INVALID_NUMBER_FORMAT": 28,
    "FACILITY_REJECTED": 29,
    "NORMAL_UNSPECIFIED": 31,
    "NORMAL_CIRCUIT_CONGESTION": 34,
    "NETWORK_OUT_OF_ORDER": 38,
    "NORMAL_TEMPORARY_FAILURE": 41,
    "SWITCH_CONGESTION": 42,
    "OUTGOING_CALL_BARRED": 52,
    "INCOMING_CALL_BARRED": 54,
    "SERVICE_UNAVAILABLE": 63,
    "SERVICE_NOT_IMPLEMENTED": 79,
    "INCOMPATIBLE_DESTINATION": 88,
    "MANDATORY_IE_MISSING": 96,
    "RECOVERY_ON_TIMER_EXPIRE": 102,
    "INTERWORKING": 127,
    "ORIGINATOR_CANCEL": 487,
    "USER_NOT_REGISTERED": 606,
    "ALLOTTED_TIMEOUT": 602,
    "LOSE_RACE": 502,
    "MANAGER_REQUEST": 503,
    "BLIND_TRANSFER": 600,
    "ATTENDED_TRANSFER": 601,
    "PROGRESS_TIMEOUT": 607,
    "PICKED_OFF": 805,
}
"""Hangup causes and FreeSWITCH's numbers for them (Q.850 codes up to 127)."""


def q850_code(cause: str) -> int:
    """``hangup_cause_q850``: the cause's Q.850 code; FreeSWITCH's own causes (above 127:
    ORIGINATOR_CANCEL, LOSE_RACE, ALLOTTED_TIMEOUT ...) report 16 (NORMAL_CLEARING)."""
    code = Q850.get(cause, 16)
    return code if code <= 127 else 16


SIP_PHRASES = {
    180: "Ringing",
    183: "Session Progress",
    200: "OK",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    480: "Temporarily Unavailable",
    484: "Address Incomplete",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    500: "Server Internal Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Server Time-out",
    600: "Busy Everywhere",
    603: "Decline",
    604: "Does Not Exist Anywhere",
}
"""Reason phrases of the SIP responses a far end sends (RFC 3261)."""

_SIP_TO_CAUSE = {
    200: "NORMAL_CLEARING",
    **dict.fromkeys((401, 402, 403, 407, 603, 608), "CALL_REJECTED"),
    404: "UNALLOCATED_NUMBER",
    **dict.fromkeys((485, 604), "NO_ROUTE_DESTINATION"),
    **dict.fromkeys((408, 504), "RECOVERY_ON_TIMER_EXPIRE"),
    410: "NUMBER_CHANGED",
    **dict.fromkeys((413, 414, 416, 420, 421, 423, 505, 513), "INTERWORKING"),
    480: "NO_USER_RESPONSE",
    **dict.fromkeys((400, 481, 500, 503), "NORMAL_TEMPORARY_FAILURE"),
    **dict.fromkeys((486, 600), "USER_BUSY"),
    484: "INVALID_NUMBER_FORMAT",
    **dict.fromkeys((488, 606), "INCOMPATIBLE_DESTINATION"),
    502: "NETWORK_OUT_OF_ORDER",
    405: "SERVICE_UNAVAILABLE",
    **dict.fromkeys((406, 415, 501), "SERVICE_NOT_IMPLEMENTED"),
    487: "ORIGINATOR_CANCEL",
}
"""mod_sofia's SIP status to hangup cause (``sofia_glue_sip_cause_to_freeswitch``)."""

_CAUSE_TO_SIP = {
    **dict.fromkeys(("UNALLOCATED_NUMBER", "NO_ROUTE_DESTINATION"), 404),
    "USER_BUSY": 486,
    "NO_USER_RESPONSE": 408,
    **dict.fromkeys(("NO_ANSWER", "SUBSCRIBER_ABSENT", "NORMAL_UNSPECIFIED"), 480),
    "CALL_REJECTED": 603,
    "NUMBER_CHANGED": 410,
    "DESTINATION_OUT_OF_ORDER": 502,
    "INVALID_NUMBER_FORMAT": 484,
    "FACILITY_REJECTED": 501,
    **dict.fromkeys(
        (
            "NORMAL_CIRCUIT_CONGESTION",
            "NETWORK_OUT_OF_ORDER",
            "NORMAL_TEMPORARY_FAILURE",
            "SWITCH_CONGESTION",
        ),
        503,
    ),
    "INCOMPATIBLE_DESTINATION": 488,
    **dict.fromkeys(("OUTGOING_CALL_BARRED", "INCOMING_CALL_BARRED"), 403),
    "SERVICE_NOT_IMPLEMENTED": 501,
    "RECOVERY_ON_TIMER_EXPIRE": 504,
    "ORIGINATOR_CANCEL": 487,
}
"""mod_sofia's hangup cause to the SIP status it answers with (``hangup_cause_to_sip``)."""


def sip_status_cause(status: int) -> str:
    """The hangup cause mod_sofia gives a leg refused with SIP ``status``."""
    return _SIP_TO_CAUSE.get(status, "NORMAL_UNSPECIFIED")


def cause_sip_status(cause: str) -> int:
    """The SIP status mod_sofia sends for hangup ``cause``."""
    return _CAUSE_TO_SIP.get(cause, 480)


@dataclass(frozen=True)
class SipRefusal:
    """A far end's final error response to an INVITE, and the cause it gives the leg."""

    status: int
    phrase: str
    cause: str

    @classmethod
    def of(cls, reject: str | int) -> SipRefusal:
        """From a SIP status (``486``, ``"486"``) or a hangup cause (``"USER_BUSY"``)."""
        text = str(reject).strip().upper()
        status = int(text) if text.isdigit() else cause_sip_status(text)
        cause = sip_status_cause(status) if text.isdigit() else text
        return cls(status, SIP_PHRASES.get(status, "Unknown"), cause)


@dataclass(frozen=True)
class SofiaProfile:
    """The switch's SIP profile as it shows in variables."""

    name: str = "sipinterface_1"
    ip: str = "127.0.0.1"
    port: int = 5080

    @property
    def url(self) -> str:
        return f"sip:mod_sofia@{self.ip}:{self.port}"


@dataclass(frozen=True)
class SipCaller:
    """The SIP side of an inbound call: who sends the INVITE and from where."""

    number: str
    name: str
    destination: str
    ip: str = "127.0.0.1"
    port: int = 5061
    rtp_port: int = 6000
    user_agent: str = "kazoo-tasks-emulator"
    call_id: str = ""
    from_tag: str = ""


def _sdp(origin: str, ip: str, port: int, payloads: str, rtpmap: str, tail: str = "") -> str:
    session_name = "FreeSWITCH" if origin.startswith("FreeSWITCH") else "-"
    return (
        f"v=0\r\no={origin} IN IP4 {ip}\r\ns={session_name}"
        f"\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP {payloads}\r\n{rtpmap}{tail}"
    )


def _tag() -> str:
    return "".join(
        random.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", k=13)
    )


def _from_uri(caller: SipCaller) -> str:
    return f"{caller.number}@{caller.ip}:{caller.port}"


def _to_uri(caller: SipCaller, profile: SofiaProfile) -> str:
    return f"{caller.destination}@{profile.ip}:{profile.port}"


def _dialog(caller: SipCaller, profile: SofiaProfile, via_branch: int, to_tag: str = "") -> Pairs:
    """``sip_full_via`` to ``sip_full_to`` of an inbound leg; ``via_branch`` numbers the
    caller's request (0: INVITE, 5: ACK), ``to_tag`` is ours once we answered."""
    display = f'"{caller.name}" ' if caller.name else ""
    to_suffix = f";tag={to_tag}" if to_tag else ""
    return [
        (
            "sip_full_via",
            f"SIP/2.0/UDP {caller.ip}:{caller.port};branch=z9hG4bK-{caller.from_tag}-{via_branch}",
        ),
        ("sip_from_display", caller.name),
        ("sip_full_from", f"{display}<sip:{_from_uri(caller)}>;tag={caller.from_tag}"),
        ("sip_full_to", f"<sip:{_to_uri(caller, profile)}>{to_suffix}"),
    ]


def inbound_created(
    uuid: str, session_id: int, channel_name: str, caller: SipCaller, profile: SofiaProfile
) -> Pairs:
    """Variables of an inbound SIP leg when CHANNEL_CREATE fires."""
    number = caller.number
    stripped = number.lstrip("+")
    from_uri = _from_uri(caller)
    to_uri = _to_uri(caller, profile)
    remote_sdp = _sdp(
        "sipp 53655765 2353687637",
        caller.ip,
        caller.rtp_port,
        "0 101",
        "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n",
    )
    return [
        ("direction", "inbound"),
        ("uuid", uuid),
        ("call_uuid", uuid),
        ("session_id", str(session_id)),
        ("sip_from_user", number),
        ("sip_from_port", str(caller.port)),
        ("sip_from_uri", from_uri),
        ("sip_from_host", caller.ip),
        ("video_media_flow", "disabled"),
        ("text_media_flow", "disabled"),
        ("channel_name", channel_name),
        ("sip_call_id", caller.call_id),
        ("sip_local_network_addr", profile.ip),
        ("sip_network_ip", caller.ip),
        ("sip_network_port", str(caller.port)),
        ("sip_invite_stamp", str(int(time.time() * 1e6))),
        ("sip_received_ip", caller.ip),
        ("sip_received_port", str(caller.port)),
        ("sip_via_protocol", "udp"),
        ("sip_from_user_stripped", stripped),
        ("sip_from_tag", caller.from_tag),
        ("sofia_profile_name", profile.name),
        ("sofia_profile_url", profile.url),
        ("recovery_profile_name", profile.name),
        *_dialog(caller, profile, via_branch=0),
        ("sip_req_user", caller.destination),
        ("sip_req_port", str(profile.port)),
        ("sip_req_uri", to_uri),
        ("sip_req_host", profile.ip),
        ("sip_to_user", caller.destination),
        ("sip_to_port", str(profile.port)),
        ("sip_to_uri", to_uri),
        ("sip_to_host", profile.ip),
        ("sip_contact_user", number),
        ("sip_contact_port", str(caller.port)),
        ("sip_contact_uri", from_uri),
        ("sip_contact_host", caller.ip),
        ("sip_user_agent", caller.user_agent),
        ("sip_via_host", caller.ip),
        ("sip_via_port", str(caller.port)),
        ("max_forwards", "70"),
        *_remote_sdp(remote_sdp),
        ("audio_media_flow", "sendrecv"),
        ("remote_media_ip", caller.ip),
        ("remote_media_port", str(caller.rtp_port)),
        *_negotiated_codec(),
        ("dtmf_type", "rfc2833"),
        ("endpoint_disposition", "RECEIVED"),
    ]


def _remote_sdp(sdp: str) -> Pairs:
    """What a leg sets as the far end's SDP arrives (offer or answer)."""
    return [
        ("switch_r_sdp", sdp),
        ("ep_codec_string", "CORE_PCM_MODULE.PCMU@8000h@20i@64000b"),
        ("rtp_use_codec_string", "PCMU,PCMA"),
        ("remote_video_media_flow", "inactive"),
        ("remote_text_media_flow", "inactive"),
        ("remote_audio_media_flow", "sendrecv"),
    ]


def _negotiated_codec() -> Pairs:
    return [
        ("rtp_audio_recv_pt", "0"),
        ("rtp_use_codec_name", "PCMU"),
        ("rtp_use_codec_rate", "8000"),
        ("rtp_use_codec_ptime", "20"),
        ("rtp_use_codec_channels", "1"),
        ("rtp_last_audio_codec_string", "PCMU@8000h@20i@1c"),
        ("read_codec", "PCMU"),
        ("original_read_codec", "PCMU"),
        ("read_rate", "8000"),
        ("original_read_rate", "8000"),
        ("write_codec", "PCMU"),
        ("write_rate", "8000"),
    ]


def _local_media(profile: SofiaProfile, port: int) -> Pairs:
    sdp = _sdp(
        f"FreeSWITCH {int(time.time()) - 16000} {int(time.time()) - 15999}",
        profile.ip,
        port,
        "0 101",
        "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n",
        "a=ptime:20\r\na=sendrecv\r\n",
    )
    return [
        ("rtp_local_sdp_str", sdp),
        ("local_media_ip", profile.ip),
        ("local_media_port", str(port)),
        ("advertised_media_ip", profile.ip),
    ]


def inbound_answer_media(profile: SofiaProfile, rtp_port: int, remote: Pairs) -> Pairs:
    """Variables an inbound leg sets as it answers (before CHANNEL_ANSWER fires).

    ``remote`` is the leg's current ``remote_media_ip`` and ``remote_media_port``, which
    FreeSWITCH sets again (moving them last).
    """
    return [
        *_local_media(profile, rtp_port),
        ("rtp_use_timer_name", "soft"),
        ("rtp_use_pt", "0"),
        ("rtp_use_ssrc", str(random.randrange(1, 2**32))),
        ("rtp_2833_send_payload", "101"),
        ("rtp_2833_recv_payload", "101"),
        *remote,
    ]


def inbound_answer_ack(caller: SipCaller, profile: SofiaProfile) -> Pairs:
    """Variables an inbound leg sets when the caller's ACK to 200 OK arrives."""
    to_tag = _tag()
    return [
        ("sip_to_tag", to_tag),
        ("sip_from_tag", caller.from_tag),
        ("sip_cseq", "1"),
        ("sip_call_id", caller.call_id),
        *_dialog(caller, profile, via_branch=5, to_tag=to_tag),
    ]


def outbound_created(
    uuid: str,
    session_id: int,
    channel_name: str,
    destination_url: str,
    originate_vars: Pairs,
    profile: SofiaProfile,
    rtp_port: int,
    *,
    originator: Pairs | None = None,
) -> Pairs:
    """Variables of an outbound SIP leg (originate, bridge) when CHANNEL_CREATE fires.

    ``originator`` holds what the leg inherits from the channel that originates it (the
    bridge application's caller: ``max_forwards`` ... ``call_uuid``, see
    :func:`originator_vars`); without one (``api originate``) the leg is its own call.
    The leg offers the caller's codec, or PCMU and PCMA of its own.
    """
    host = destination_url.split("@", 1)[-1]
    variables = dict(originate_vars)
    early = "false" if variables.get("ignore_early_media", "").lower() == "true" else "true"
    local = _local_media(profile, rtp_port)
    head: Pairs = [("direction", "outbound"), ("is_outbound", "true"), ("uuid", uuid)]
    if originator is None:
        head += [
            ("call_uuid", uuid),
            ("session_id", str(session_id)),
            ("sip_local_network_addr", profile.ip),
            ("sip_profile_name", profile.name),
            ("video_media_flow", "disabled"),
        ]
    else:
        head += [
            ("session_id", str(session_id)),
            ("sip_local_network_addr", profile.ip),
            ("sip_profile_name", profile.name),
        ]
    head += [
        ("text_media_flow", "disabled"),
        ("channel_name", channel_name),
        ("sip_destination_url", f"sip:{destination_url}"),
    ]
    media: Pairs = [*local[1:], ("audio_media_flow", "sendrecv")]
    if originator is None:
        middle: Pairs = [
            *originate_vars,
            ("originate_early_media", early),
            ("originate_endpoint", "sofia"),
            ("rtp_use_codec_string", "PCMU,PCMA"),
        ]
    else:
        caller = dict(originator)
        middle = [
            *originator,
            *originate_vars,
            ("originate_early_media", early),
            ("originating_leg_uuid", caller["originator"]),
            ("originate_endpoint", "sofia"),
            ("rtp_use_codec_string", caller["originator_codec"]),
        ]
        media.append(("video_media_flow", "inactive"))
    return [
        *head,
        *middle,
        *media,
        local[0],
        ("sip_outgoing_contact_uri", f"<sip:mod_sofia@{profile.ip}:{profile.port}>"),
        ("sip_req_uri", destination_url),
        ("sip_to_host", host),
        ("sip_from_host", profile.ip),
        ("sofia_profile_name", profile.name),
        ("recovery_profile_name", profile.name),
        ("sofia_profile_url", profile.url),
    ]


def originator_vars(caller_uuid: str, max_forwards: str, caller_sdp: str) -> Pairs:
    """What an outbound leg inherits from the channel originating it, in FreeSWITCH's
    order (``switch_core_session_outgoing_channel``)."""
    hops = int(max_forwards) - 1 if max_forwards.isdigit() else 69
    return [
        ("max_forwards", str(hops)),
        ("originator_codec", "PCMU@8000h@20i"),
        ("originator", caller_uuid),
        ("signal_bond", caller_uuid),
        ("switch_m_sdp", caller_sdp),
        ("call_uuid", caller_uuid),
    ]


def outbound_refused(destination_url: str, profile: SofiaProfile, refusal: SipRefusal) -> Pairs:
    """Variables an outbound leg sets when the far end refuses the INVITE (4xx-6xx), before
    it hangs up; the originating channel gets ``sip_invite_failure_*`` too."""
    host, _, port = destination_url.partition("@")[2].partition(":")
    port = port or "5060"
    return [
        ("sip_call_id", f"{random.getrandbits(128):032x}"),
        ("sip_local_network_addr", profile.ip),
        ("sip_reply_host", host),
        ("sip_reply_port", port),
        ("sip_network_ip", host),
        ("sip_network_port", port),
        ("sip_hangup_disposition", "recv_refuse"),
        ("sip_invite_failure_status", str(refusal.status)),
        ("sip_invite_failure_phrase", refusal.phrase),
        ("sip_term_status", str(refusal.status)),
        ("proto_specific_hangup_cause", f"sip:{refusal.status}"),
        ("sip_term_cause", str(Q850.get(refusal.cause, 16))),
    ]


OUTBOUND_CANCELLED: Pairs = [
    ("sip_hangup_disposition", "send_cancel"),
    ("sip_invite_failure_status", "487"),
    ("sip_invite_failure_phrase", "CANCEL"),
]
"""What an outbound leg that never answered records as it sends CANCEL (it hangs up)."""


def outbound_progress(
    destination_url: str, caller_number: str, caller_name: str, profile: SofiaProfile
) -> Pairs:
    """Variables an outbound leg sets when the far end answers the INVITE with 180."""
    user, _, host_port = destination_url.partition("@")
    host, _, port = host_port.partition(":")
    port = port or "5060"
    from_tag, to_tag = _tag(), _tag()
    via = f"SIP/2.0/UDP {profile.ip}:{profile.port};rport;branch=z9hG4bK{_tag()}"
    return [
        ("sip_local_network_addr", profile.ip),
        ("sip_reply_host", host),
        ("sip_reply_port", port),
        ("sip_network_ip", host),
        ("sip_network_port", port),
        ("sip_recover_contact", f"<sip:{host}:{port};transport=UDP>"),
        ("sip_full_via", via),
        ("sip_recover_via", via),
        ("sip_from_display", caller_name),
        ("sip_full_from", f'"{caller_name}" <sip:{caller_number}@{profile.ip}>;tag={from_tag}'),
        ("sip_full_to", f"<sip:{destination_url}>;tag={to_tag}"),
        ("sip_from_user", caller_number),
        ("sip_from_uri", f"{caller_number}@{profile.ip}"),
        ("sip_from_host", profile.ip),
        ("sip_to_user", user),
        ("sip_to_port", port),
        ("sip_to_uri", destination_url),
        ("sip_to_host", host),
        ("sip_contact_params", "transport=UDP"),
        ("sip_contact_user", user),
        ("sip_contact_port", port),
        ("sip_contact_uri", f"{user}@{host}:{port}"),
        ("sip_contact_host", host),
        ("sip_to_tag", to_tag),
        ("sip_from_tag", from_tag),
        ("sip_cseq", str(random.randrange(1, 2**27))),
        ("sip_call_id", f"{random.getrandbits(128):032x}"),
    ]


FAR_END_RTP_PORT = 6100


def _far_end_sdp(ip: str) -> str:
    """The SDP a far end (a phone, a SIPp UAS) answers an INVITE with."""
    return _sdp(
        "user1 53655765 2353687637",
        ip,
        FAR_END_RTP_PORT,
        "0 101",
        "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n",
    )


def outbound_answer(profile: SofiaProfile, rtp_port: int, remote_ip: str) -> Pairs:
    """Variables an outbound leg sets when the far end answers (before CHANNEL_ANSWER)."""
    return [
        *_remote_sdp(_far_end_sdp(remote_ip)),
        *_negotiated_codec(),
        ("dtmf_type", "info"),
        *_local_media(profile, rtp_port)[1:],
        ("rtp_use_timer_name", "soft"),
        ("rtp_use_pt", "0"),
        ("rtp_use_ssrc", str(random.randrange(1, 2**32))),
        ("remote_media_ip", remote_ip),
        ("remote_media_port", str(FAR_END_RTP_PORT)),
    ]


def answered_peer_media(remote_ip: str) -> Pairs:
    """What the originating channel learns as the leg it rings answers: the far end's SDP
    (``switch_m_sdp``) and the media flows it negotiated."""
    return [
        ("switch_m_sdp", _far_end_sdp(remote_ip)),
        ("video_media_flow", "inactive"),
        ("text_media_flow", "inactive"),
        ("audio_media_flow", "sendrecv"),
    ]


def _stamp(us: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(us / 1e6))


def hangup_cdr(
    *,
    cause: str,
    created: int,
    profile_created: int,
    answered: int,
    bridged: int,
    progress: int,
    progress_media: int,
    ended: int,
    last_app: str,
    last_arg: str,
    caller_id: str,
) -> Pairs:
    """The CDR variables FreeSWITCH sets as a leg reaches CS_REPORTING."""
    out: Pairs = [
        ("hangup_cause", cause),
        ("hangup_cause_q850", str(q850_code(cause))),
        ("digits_dialed", "none"),
        ("start_stamp", _stamp(created)),
        ("profile_start_stamp", _stamp(profile_created)),
    ]
    if answered:
        out.append(("answer_stamp", _stamp(answered)))
    if bridged:
        out.append(("bridge_stamp", _stamp(bridged)))
    if progress:
        out.append(("progress_stamp", _stamp(progress)))
    if progress_media:
        out.append(("progress_media_stamp", _stamp(progress_media)))
    out.append(("end_stamp", _stamp(ended)))

    def epoch(name: str, us: int) -> Pairs:
        return [(f"{name}_epoch", str(us // 1_000_000)), (f"{name}_uepoch", str(us))]

    out += epoch("start", created) + epoch("profile_start", profile_created)
    out += epoch("answer", answered) + epoch("bridge", bridged)
    out += epoch("last_hold", 0)
    out += [("hold_accum_seconds", "0"), ("hold_accum_usec", "0"), ("hold_accum_ms", "0")]
    out += epoch("resurrect", 0) + epoch("progress", progress)
    out += epoch("progress_media", progress_media) + epoch("end", ended)
    out.append(("last_app", last_app))
    if last_arg:
        out.append(("last_arg", last_arg))
    out.append(("caller_id", caller_id))
    total = ended - created
    bill = ended - answered if answered else 0
    progress_us = progress - created if progress else 0
    answer_us = answered - created if answered else 0
    wait_us = answered - profile_created if answered else 0
    media_us = progress_media - created if progress_media else 0
    for unit, div in (("sec", 1_000_000), ("msec", 1000), ("usec", 1)):
        durations = [
            ("duration" if unit == "sec" else f"{unit[0]}duration", total),
            (f"bill{unit}", bill),
            (f"progress{unit}", progress_us),
            (f"answer{unit}", answer_us),
            (f"wait{unit}", max(wait_us, 0)),
            (f"progress_media{unit}", media_us),
            (f"flow_bill{unit}", total if answered else 0),
        ]
        out += [(name, str(value // div)) for name, value in durations]
    return out


def hangup_media_stats(answered_us: int, ended_us: int, *, sent_bye: bool) -> Pairs:
    """RTP statistics a SIP leg reports at hangup (50 packets of 172 bytes per second)."""
    packets = max(0, (ended_us - answered_us) // 20_000) if answered_us else 0
    octets = str(packets * 172)
    stats: Pairs = [("sip_hangup_disposition", "send_bye" if sent_bye else "recv_bye")]
    for direction in ("in", "out"):
        stats += [
            (f"rtp_audio_{direction}_raw_bytes", octets),
            (f"rtp_audio_{direction}_media_bytes", octets),
            (f"rtp_audio_{direction}_packet_count", str(packets)),
            (f"rtp_audio_{direction}_media_packet_count", str(packets)),
            (f"rtp_audio_{direction}_skip_packet_count", "0"),
        ]
        if direction == "in":
            stats += [
                ("rtp_audio_in_jitter_packet_count", "0"),
                ("rtp_audio_in_dtmf_packet_count", "0"),
                ("rtp_audio_in_cng_packet_count", "0"),
                ("rtp_audio_in_flush_packet_count", "0"),
                ("rtp_audio_in_largest_jb_size", "0"),
                ("rtp_audio_in_jitter_min_variance", "0.00"),
                ("rtp_audio_in_jitter_max_variance", "0.00"),
                ("rtp_audio_in_jitter_loss_rate", "0.00"),
                ("rtp_audio_in_jitter_burst_rate", "0.00"),
                ("rtp_audio_in_mean_interval", "20.00" if packets else "0.00"),
                ("rtp_audio_in_flaw_total", "0"),
                ("rtp_audio_in_quality_percentage", "100.00"),
                ("rtp_audio_in_mos", "4.50"),
            ]
        else:
            stats += [
                ("rtp_audio_out_dtmf_packet_count", "0"),
                ("rtp_audio_out_cng_packet_count", "0"),
            ]
    stats += [("rtp_audio_rtcp_packet_count", "0"), ("rtp_audio_rtcp_octet_count", "0")]
    return stats
