"""A call-center queue (Kazoo's ACDc ``queues`` schema); agents are users with ``queues``."""

from __future__ import annotations

from schemas.base import DocumentSchema, SubSchema, boolean, integer, nested, string

EXIT_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#")


class AnnouncementMedia(SubSchema):
    in_the_queue = string("'You are caller number'")
    increase_in_call_volume = string("'We are experiencing a high call volume'")
    the_estimated_wait_time_is = string("'The estimated wait time is'")
    you_are_at_position = string("'You are at position'")


class Announcements(SubSchema):
    interval = integer("Seconds between announcements", minimum=15, default=30)
    media = nested(AnnouncementMedia, "Announcement prompts")
    position_announcements_enabled = boolean("Announce the caller's position")
    wait_time_announcements_enabled = boolean("Announce the estimated wait")


class QueueSchema(DocumentSchema):
    pvt_type = "queue"

    name = string("A friendly name for the queue", required=True, min_length=1, max_length=128)
    strategy = string(
        "How an agent is picked",
        enum=("round_robin", "most_idle", "ring_all"),
        default="round_robin",
    )
    agent_ring_timeout = integer("Seconds an agent rings", minimum=1, default=15)
    agent_wrapup_time = integer("Seconds of wrap-up after a call", minimum=0, default=0)
    announce = string("Media played to the agent before connecting")
    announcements = nested(Announcements, "Position and wait-time announcements")
    caller_exit_key = string("Key the caller presses to leave", enum=EXIT_KEYS, default="#")
    cdr_url = string("URL a CDR is posted to")
    connection_timeout = integer("Seconds a caller may wait", minimum=0, default=3600)
    enter_when_empty = boolean("Accept callers when no agent is logged in", default=True)
    max_priority = integer("Highest caller priority", minimum=0, maximum=255)
    max_queue_size = integer("Most waiting callers (0: no limit)", default=0)
    moh = string("Music on hold")
    record_caller = boolean("Record the caller", default=False)
    recording_url = string("URL recordings are sent to")
    ring_simultaneously = integer("Agents rung at once", minimum=1, default=1)
