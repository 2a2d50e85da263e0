"""A subset of TwiML (Twilio's XML, which Kazoo's pivot reads) turned into a callflow tree.

``<Response>`` holds verbs, run in order (each verb's node has the next as its ``_``):

* ``<Say voice language loop>text</Say>``: ``tts`` (``man`` speaks with the male voice);
* ``<Play loop>url</Play>``: ``play``; ``<Pause length="1"/>``: ``sleep`` (seconds);
* ``<Gather action method timeout finishOnKey numDigits>`` holding ``<Say>``, ``<Play>``,
  ``<Pause>``: ``flush_dtmf``, the prompts, ``collect_dtmf``, then a ``pivot`` to
  ``action`` (TwiML, with the ``Digits``) if digits came, else the next verb;
* ``<Dial timeout action method>`` a number or a ``<Number>``: ``transfer`` to it (routed
  by the account's callflows); ``<User>`` / ``<Device>`` ids: ``user``, ``device``, or a
  ``ring_group`` of them; then a ``pivot`` to ``action`` if given, else the next verb;
* ``<Redirect method>url</Redirect>``: a ``pivot`` to it (what follows is dropped);
* ``<Hangup/>``: ``hangup``; ``<Reject reason>``: ``response`` 486 (``busy``) or 603.

Relative URLs are resolved against the URL that answered. Anything else (another verb,
a DTD or entity declaration, XML that does not parse) raises ``ValueError``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urljoin

MAX_LOOP = 10
"""Most repeats a ``loop`` attribute gives."""
MAX_DIGITS = 128
_PROMPTS = ("Say", "Play", "Pause")


def node(module: str, data: dict[str, Any], then: dict[str, Any] | None = None) -> dict[str, Any]:
    """A flow node with ``then`` as its ``_`` child."""
    return {"module": module, "data": data, "children": {"_": then} if then else {}}


def to_flow(xml: str, base_url: str = "") -> dict[str, Any]:
    """The callflow tree of a TwiML document (``base_url``: where it came from)."""
    if "<!DOCTYPE" in xml.upper() or "<!ENTITY" in xml.upper():
        raise ValueError("TwiML with a DTD or entities is not accepted")
    try:
        root = ET.fromstring(xml.strip())
    except ET.ParseError as exc:
        raise ValueError(f"invalid XML: {exc}") from exc
    if root.tag != "Response":
        raise ValueError(f"TwiML's root is <Response>, not <{root.tag}>")
    flow = _chain(list(root), base_url, None)
    if flow is None:
        raise ValueError("an empty <Response>")
    return flow


def _chain(
    verbs: list[ET.Element], base_url: str, then: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The nodes of ``verbs`` in order, the last going on to ``then``."""
    for verb in reversed(verbs):
        then = _verb(verb, base_url, then)
    return then


def _verb(verb: ET.Element, base_url: str, then: dict[str, Any] | None) -> dict[str, Any]:
    text = (verb.text or "").strip()
    match verb.tag:
        case "Say":
            voice = "male" if verb.get("voice") == "man" else "female"
            data = {"text": text, "voice": voice, "language": verb.get("language", "en-US")}
            return _looped(verb, lambda rest: node("tts", data, rest), then)
        case "Play":
            return _looped(verb, lambda rest: node("play", {"id": text}, rest), then)
        case "Pause":
            return node("sleep", {"duration": _integer(verb, "length", 1), "unit": "s"}, then)
        case "Hangup":
            return node("hangup", {})
        case "Reject":
            code = 486 if verb.get("reason") == "busy" else 603
            return node("response", {"code": code})
        case "Redirect":
            return _pivot(urljoin(base_url, text), verb.get("method", "POST"), None)
        case "Gather":
            return _gather(verb, base_url, then)
        case "Dial":
            return _dial(verb, base_url, then)
    raise ValueError(f"TwiML verb <{verb.tag}> is not supported")


def _looped(verb: ET.Element, make: Any, then: dict[str, Any] | None) -> dict[str, Any]:
    loop = _integer(verb, "loop", 1)
    for _ in range(min(max(loop, 1), MAX_LOOP)):
        then = make(then)
    assert then is not None
    return then


def _integer(verb: ET.Element, name: str, default: int) -> int:
    value = verb.get(name)
    if value is None:
        return default
    if not value.strip().isdigit():
        raise ValueError(f"<{verb.tag} {name}={value!r}>: not a number")
    return int(value)


def _pivot(url: str, method: str, then: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    data = {"voice_url": url, "method": method.lower(), "req_format": "twiml", **extra}
    return node("pivot", data, then)


def _gather(verb: ET.Element, base_url: str, then: dict[str, Any] | None) -> dict[str, Any]:
    prompts = [child for child in verb if child.tag in _PROMPTS]
    if len(prompts) != len(verb):
        raise ValueError("<Gather> holds only <Say>, <Play> and <Pause>")
    action = urljoin(base_url, verb.get("action", "")) or base_url
    after = _pivot(action, verb.get("method", "POST"), then, require_digits=True)
    collect: dict[str, Any] = {
        "max_digits": min(_integer(verb, "numDigits", MAX_DIGITS), MAX_DIGITS),
        "timeout": _integer(verb, "timeout", 5) * 1000,
    }
    finish = verb.get("finishOnKey", "#")
    if finish:
        collect["terminators"] = [finish]
    gathered = _chain(prompts, base_url, node("collect_dtmf", collect, after))
    return node("flush_dtmf", {}, gathered)


def _dial(verb: ET.Element, base_url: str, then: dict[str, Any] | None) -> dict[str, Any]:
    action = verb.get("action")
    if action:
        then = _pivot(urljoin(base_url, action), verb.get("method", "POST"), None)
    timeout = _integer(verb, "timeout", 30)
    nouns = list(verb)
    number = (verb.text or "").strip()
    if not nouns and number:
        return node("transfer", {"target": number}, then)
    if len(nouns) == 1 and nouns[0].tag == "Number":
        return node("transfer", {"target": (nouns[0].text or "").strip()}, then)
    endpoints = []
    for noun in nouns:
        if noun.tag not in ("User", "Device"):
            raise ValueError(f"<Dial><{noun.tag}> is not supported")
        endpoint_type = noun.tag.lower()
        endpoints.append({"id": (noun.text or "").strip(), "endpoint_type": endpoint_type})
    if not endpoints:
        raise ValueError("<Dial> names nobody")
    if len(endpoints) == 1:
        only = endpoints[0]
        return node(only["endpoint_type"], {"id": only["id"], "timeout": timeout}, then)
    return node("ring_group", {"endpoints": endpoints, "timeout": timeout}, then)
