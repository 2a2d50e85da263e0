"""The shared contracts (kazoo_tasks.events, kazoo_tasks.commands) against the emulator."""

from __future__ import annotations

from kazoo_tasks.commands import render_command
from kazoo_tasks.esl.emulator import Emulator
from kazoo_tasks.events import PIPELINE_EVENTS, call_event_from_plain, subscription_command


def test_given_the_pipeline_subscription_then_only_pipeline_events_and_registrations_arrive(
    park_emulator: Emulator, esl
):
    client = esl()
    assert client.command(subscription_command()).reply_text == "+OK event listener enabled plain"
    call = park_emulator.place_call("1000")
    call.wait_parked()
    park_emulator.register("1001", realm="demo.local")
    client.api(f"uuid_kill {call.uuid}")
    call.wait_hangup()

    names = []
    while (event := client.next_event(0.5)) is not None:
        names.append(event.headers.get("Event-Subclass", event.name))

    assert set(names) <= {*PIPELINE_EVENTS, "sofia::register"}
    assert names.count("CHANNEL_PARK") == 1
    assert "sofia::register" in names
    assert names[-1] == "CHANNEL_HANGUP_COMPLETE"


def test_given_rendered_call_commands_then_the_emulator_runs_each_as_one_frame(
    park_emulator: Emulator, esl
):
    client = esl("CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP_COMPLETE")
    call = park_emulator.place_call("1000")
    call.wait_parked()
    base = {"call_id": call.uuid, "node": "fs1"}

    client.send(render_command({**base, "id": "c-1", "kind": "api", "app": "uuid_answer"}))
    client.send(
        render_command(
            {
                **base,
                "id": "c-2",
                "kind": "execute",
                "app": "playback",
                "args": "tone_stream://%(500,0,440)",
            }
        )
    )
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", uuid_=call.uuid)
    client.send(
        render_command({**base, "id": "c-3", "kind": "hangup", "hangup_cause": "NORMAL_CLEARING"})
    )
    hangup = client.wait_event("CHANNEL_HANGUP_COMPLETE", uuid_=call.uuid)

    normalized = call_event_from_plain(done, "fs1", 0.0)
    assert normalized["application_name"] == "playback"
    assert normalized["application_uuid"] == "c-2"
    assert normalized["application_response"] == "FILE PLAYED"
    assert call_event_from_plain(hangup, "fs1", 0.0)["hangup_cause"] == "NORMAL_CLEARING"
    assert [(c.kind, c.app, c.event_uuid) for c in call.commands] == [
        ("api", "uuid_answer", ""),
        ("execute", "playback", "c-2"),
        ("hangup", "", ""),
    ]
    replies = [
        f.reply_text for f in client.frames if f.content_type in ("command/reply", "api/response")
    ]
    assert replies[-3:] == ["+OK\n", "+OK", "+OK"]
