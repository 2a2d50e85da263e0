"""A carrier (Kazoo's ``resources`` schema): the numbers it takes (``rules`` regexes,
``classifiers``) and the gateways calls go out through, in order. An account's resources
live in its database (Kazoo's local resources, "bring your own carrier"); the system's,
which only system admins edit, in the ``offnet`` database (Kazoo's global resources).
The ``resources`` and ``offnet`` callflow modules read them (callflow/carriers.py)."""

from __future__ import annotations

from marshmallow import fields

from schemas.base import (
    DocumentSchema,
    SubSchema,
    boolean,
    integer,
    nested,
    obj,
    string,
    string_list,
)

CALLER_ID_TYPES = ("internal", "external", "emergency")
INVITE_FORMATS = ("route", "username", "e164", "npan", "1npan", "strip_plus")
CODECS = (
    "G729", "PCMU", "PCMA", "G722_16", "G722_32", "CELT_48", "CELT_64", "Speex", "GSM", "OPUS",
    "H261", "H263", "H264", "VP8",
)  # fmt: skip


class Classifier(SubSchema):
    """How the resource takes the numbers of one classifier (``tollfree_us``,
    ``emergency``...)."""

    enabled = boolean("Whether numbers of this classifier go to the resource", default=True)
    emergency = boolean("Whether numbers of the classifier are emergency calls (default: "
                        "true for `emergency`)")  # fmt: skip
    prefix = string("Prepended to the dialed number", max_length=64)
    suffix = string("Appended to the dialed number", max_length=64)
    regex = string("A regex the dialed number must match (instead of the classifier's)")
    weight_cost = integer("0-100: lower is tried first", minimum=0, maximum=100, default=50)


class CallerIdChoice(SubSchema):
    type = string("Caller ID type to choose", enum=CALLER_ID_TYPES)


class GatewayMedia(SubSchema):
    fax_option = boolean("Is T.38 supported?")
    rtcp_mux = boolean("RTCP multiplexed with RTP")


class Gateway(SubSchema):
    """One way out: a SIP server, tried in the order of the list."""

    server = string("The gateway's SIP server (host name or address)", required=True,
                    min_length=1, max_length=128)  # fmt: skip
    port = integer("The gateway's SIP port", default=5060)
    realm = string("Authentication realm", max_length=64)
    username = string("SIP authentication user name", max_length=32)
    password = string("SIP authentication password", max_length=32)
    prefix = string("Prepended to the dialed number", max_length=64)
    suffix = string("Appended to the dialed number", max_length=64)
    enabled = boolean("Whether the gateway is used", default=True)
    invite_format = string("The number's form in the Request-URI", enum=INVITE_FORMATS,
                           default="route")  # fmt: skip
    route = string("A SIP URI every call goes to (invite_format route)")
    codecs = fields.List(
        string(enum=CODECS), metadata={"description": "Codecs the gateway supports"}
    )
    caller_id_type = string("Caller ID type to use", enum=CALLER_ID_TYPES)
    progress_timeout = integer("Seconds to wait for the gateway's first ring")
    endpoint_type = string(
        "Only `sip` gateways are dialed here", enum=("sip", "freetdm", "skype", "amqp"),
        default="sip",
    )  # fmt: skip
    bypass_media = boolean("Bypass media mode")
    channel_selection = string("TDM channel order", enum=("ascending", "descending"),
                               default="ascending")  # fmt: skip
    custom_sip_headers = obj("SIP headers added to the calls")
    custom_sip_interface = string("The name of a custom SIP interface")
    force_port = boolean("Allow requests only from this port", default=False)
    format_from_uri = boolean("Reformat the SIP From header")
    from_uri_realm = string("The realm of the reformatted From header")
    invite_parameters = obj("Static and dynamic INVITE parameters")
    media = nested(GatewayMedia, "Media parameters of the gateway")
    skype_interface = string("The Skype interface")
    skype_rr = boolean("Round-robin Skype interfaces", default=True)
    span = string("The TDM span")


class ResourceSchema(DocumentSchema):
    pvt_type = "resource"

    name = string("A friendly name for the resource", required=True, min_length=1,
                  max_length=128)  # fmt: skip
    enabled = boolean("Whether the resource is used", default=True)
    weight_cost = integer("0-100: lower is tried first", minimum=0, maximum=100, default=50)
    rules = string_list("Regexes of which one must match the number (capture groups allowed)",
                        default=[])  # fmt: skip
    rules_test = string_list("Regexes of emergency test numbers", default=[])
    cid_rules = string_list("Regexes of which one must match the caller id number")
    classifiers = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(Classifier),
        metadata={"description": "Classifier name -> how numbers of it are taken"},
    )
    gateways = fields.List(
        fields.Nested(Gateway), required=True, metadata={"description": "Gateways, in order"}
    )
    emergency = boolean("Whether the resource reaches emergency services", default=False)
    flags = string_list("Flags a call must ask for (outbound_flags)", default=[])
    require_flags = boolean("Used only by calls that ask for flags")
    ignore_flags = boolean("Used whatever flags the call asks for")
    grace_period = integer("Seconds before starting another resource", default=5)
    caller_id_options = nested(CallerIdChoice, "Caller ID options")
    gateway_strategy = string("Order of the gateways", enum=("sequential", "random"))
    format_from_uri = boolean("Reformat the SIP From header")
    from_account_realm = boolean("The From realm is the calling account's", default=False)
    from_uri_realm = string("The From realm")
    flat_rate_blacklist = string("Regex of numbers not eligible for flat-rate trunking")
    flat_rate_whitelist = string("Regex of numbers eligible for flat-rate trunking")
    formatters = obj("Request formatters")
    media = obj("Media options")
