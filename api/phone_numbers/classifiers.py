"""Kazoo's number classifiers as its numbers API shows them (``phone_numbers/classifiers``):
the regexes the carriers module classifies dialed numbers by
(:data:`callflow.carriers.CLASSIFIERS`), with Kazoo's friendly names and pretty-print masks."""

from __future__ import annotations

from typing import Any

from callflow.carriers import CLASSIFIERS, classify, to_e164

FRIENDLY_NAMES = {
    "tollfree_us": "US TollFree",
    "toll_us": "US Toll",
    "emergency": "Emergency Dispatcher",
    "caribbean": "Caribbean",
    "did_us": "US DID",
    "international": "International",
    "unknown": "Unknown",
}
"""Kazoo's ``friendly_name`` of each default classifier."""
NANP_MASK = "SS(###) ### - ####"
_PRETTY_PRINTED = {"tollfree_us", "toll_us", "caribbean", "did_us"}


def classifier_view(name: str) -> dict[str, Any]:
    """One classifier as Kazoo lists it: ``regex``, ``friendly_name``, ``pretty_print``
    where Kazoo has one, ``emergency`` for the emergency classes."""
    pattern, emergency = CLASSIFIERS[name]
    view: dict[str, Any] = {"regex": pattern, "friendly_name": FRIENDLY_NAMES.get(name, name)}
    if name in _PRETTY_PRINTED:
        view["pretty_print"] = NANP_MASK
    if emergency:
        view["emergency"] = True
    return view


def all_classifiers() -> dict[str, dict[str, Any]]:
    """Every classifier, by name."""
    return {name: classifier_view(name) for name in CLASSIFIERS}


def classify_number(number: str) -> dict[str, Any]:
    """How ``number`` is classified: its classifier's view plus ``name``, ``number`` and
    ``e164`` (the number normalized as the carriers module normalizes it)."""
    e164 = to_e164(number)
    name = classify(e164)
    return {**classifier_view(name), "name": name, "number": number, "e164": e164}
