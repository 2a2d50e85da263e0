"""The announcement a waiting caller hears (acdc/announcements.py)."""

from __future__ import annotations

from acdc.announcements import DEFAULT_MEDIA, Announcements, Part, script, wait_step


def test_given_kazoo_announcements_then_the_defaults_are_kazoos_and_off():
    settings = Announcements.from_doc({"interval": 45})
    assert settings.interval == 45 and not settings.enabled
    assert settings.media == DEFAULT_MEDIA
    assert script(settings, 3, 100, None) == []


def test_given_position_and_wait_enabled_then_the_position_then_the_rounded_wait_are_said():
    doc = {
        "position_announcements_enabled": True,
        "wait_time_announcements_enabled": True,
        "media": {"in_the_queue": "custom-media-id"},
    }
    parts = script(Announcements.from_doc(doc), 3, 200, None)
    assert parts == [
        Part("prompt", "queue-you_are_at_position"),
        Part("say", "en number pronounced 3"),
        Part("prompt", "custom-media-id"),
        Part("prompt", "queue-the_estimated_wait_time_is"),
        Part("say", "en time_measurement pronounced 300"),
    ]


def test_given_the_wait_grew_since_the_last_announcement_then_the_call_volume_is_said_first():
    settings = Announcements.from_doc({"wait_time_announcements_enabled": True})
    assert script(settings, None, 90, 30)[0] == Part("prompt", "queue-increase_in_call_volume")
    assert Part("prompt", "queue-increase_in_call_volume") not in script(settings, None, 30, 90)


def test_given_waits_then_they_are_rounded_up_to_kazoos_steps():
    assert [wait_step(s) for s in (0, 59, 61, 301, 2000, 3600, 5000)] == [
        60, 60, 300, 600, 2700, 3600, 5000
    ]  # fmt: skip
