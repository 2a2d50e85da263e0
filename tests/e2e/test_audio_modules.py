"""``audio_macro`` and ``set_alert_info`` on the whole pipeline: a macro plays its parts in
order and a key skips the rest; the Alert-Info a flow sets reaches the leg rung next."""

from __future__ import annotations

import pytest

from api.errors import ValidationFailed
from kazoo_tasks.esl.emulator import script as s
from tests.e2e.conftest import TONE, node
from tests.e2e.test_bridging import Office

MACROS = [
    {"macro": "play", "id": TONE},
    {"macro": "tts", "text": "this can be said", "language": "en-us", "voice": "female"},
    {"macro": "prompt", "id": "vm-enter_pin"},
    {"macro": "say", "text": "123", "method": "pronounced", "type": "number"},
    {"macro": "tone", "frequencies": [400, 450], "duration_on": 400, "duration_off": 200},
]
"""The parts of Kazoo's documented example (its play id a tone here)."""


def media_apps(call) -> list[tuple[str, str]]:
    return [(a, x) for a, x in call.applications if a in ("playback", "speak", "say")]


def test_given_an_audio_macro_then_its_parts_play_in_order(stack, account):
    account.callflow(["7400"], node("audio_macro", {"macros": MACROS}))

    call = stack.emulator.place_call("7400", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert media_apps(call) == [
        ("playback", TONE),
        ("speak", "flite|slt|this can be said"),
        ("playback", "voicemail/vm-enter_pass.wav"),
        ("say", "en number pronounced 123"),
        ("playback", "tone_stream://%(400,200,400,450)"),
    ]


def test_given_a_key_during_a_macro_then_the_rest_is_skipped(stack, account):
    flow = node("audio_macro", {"macros": MACROS, "terminators": ["#"]}, node("hangup"))
    account.callflow(["7401"], flow)

    call = stack.emulator.place_call(
        "7401", variables=account.variables, script=[s.on_playback(1).press("#")]
    )

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert media_apps(call) == [("playback", TONE)]
    trace = account.wait_cdr(call.uuid)["trace"]
    assert any("# pressed: the rest skipped" in (e.get("note") or "") for e in trace)


def test_given_bad_macros_then_refused_at_save(account):
    with pytest.raises(ValidationFailed) as refused:
        account.callflow(["7402"], node("audio_macro", {"macros": [{"macro": "dance"}]}))
    assert any(key.startswith("flow.data.macros") for key in refused.value.data)


def test_given_set_alert_info_then_the_leg_rung_next_carries_it(stack, store, account):
    office = Office(stack, store, account)
    phone = office.phone("1041")
    office.far_end("1041", answer_after=0.1, hangup_after=0.3)
    alert = "<http://www.notused.com>;info=alert-internal"
    flow = node("set_alert_info", {"alert_info": alert}, node("device", {"id": phone}))

    call = office.call("7410", flow)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert ("export", f"alert_info={alert}") in call.applications
    b_leg = account.wait_cdr(call.wait_for_leg().uuid)
    assert b_leg["custom_channel_vars"]["Alert_info"] == alert
    with pytest.raises(ValidationFailed):
        account.callflow(["7411"], node("set_alert_info", {}))
