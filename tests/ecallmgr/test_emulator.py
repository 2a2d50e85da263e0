"""ecallmgr against the FreeSWITCH emulator: scripted callers, a cut, and a flood that a
real switch would punish (it drops a listener that lets 500 events be lost)."""

from __future__ import annotations

import uuid

import pytest

from kazoo_tasks.esl.emulator import Emulator
from kazoo_tasks.keys import node_key
from tests.ecallmgr.conftest import (
    NODE,
    inbox,
    node_stats,
    playback,
    publish_command,
    subscribed,
)
from tests.waiting import wait_for
from workers.ecallmgr.claims import DONE, claims_key


@pytest.fixture
def esl_port(emulator: Emulator) -> int:
    return emulator.port


def command(call_id: str, kind: str, app: str | None = None) -> dict:
    fields = {"id": str(uuid.uuid4()), "call_id": call_id, "node": NODE, "kind": kind}
    return {**fields, "app": app} if app else fields


def completion(client, settings, call_id: str, command_id: str) -> dict:
    """Wait for the CHANNEL_EXECUTE_COMPLETE of one command, as a callflow node does."""
    return wait_for(
        lambda: next(
            (
                e
                for e in inbox(client, settings, call_id)
                if e["name"] == "CHANNEL_EXECUTE_COMPLETE"
                and e.get("application_uuid") == command_id
            ),
            None,
        ),
        what=f"completion of {command_id}",
    )


def test_given_a_call_to_1000_when_answered_played_and_hung_up_then_the_switch_ran_exactly_that(
    emulator, spawn_ecallmgr, node_settings, redis_client
):
    spawn_ecallmgr()
    wait_for(lambda: subscribed(emulator), what="ecallmgr to subscribe")
    call = emulator.place_call("1000")
    call.wait_parked()
    wait_for(lambda: inbox(redis_client, node_settings, call.uuid), what="the park")
    controlled = node_key(node_settings.namespace, NODE, "controlled")
    wait_for(lambda: redis_client.sismember(controlled, call.uuid), what="control")

    answer = command(call.uuid, "execute", "answer")
    publish_command(node_settings, answer)
    completion(redis_client, node_settings, call.uuid, answer["id"])
    tone = playback(call.uuid)
    publish_command(node_settings, tone)
    played = completion(redis_client, node_settings, call.uuid, tone["id"])
    assert played["application_response"] == "FILE PLAYED"
    hangup = command(call.uuid, "hangup")
    publish_command(node_settings, hangup)
    assert call.wait_hangup() == "NORMAL_CLEARING"

    assert [(c.kind, c.app, c.args) for c in call.commands] == [
        ("execute", "answer", ""),
        ("execute", "playback", tone["args"]),
        ("hangup", "", ""),  # the cause is the emulator's hangup_cause
    ]
    names = wait_for(
        lambda: (
            (n := [e["name"] for e in inbox(redis_client, node_settings, call.uuid)])
            and n[-1] == "CHANNEL_HANGUP_COMPLETE"
            and n
        )
    )
    assert names[0] == "CHANNEL_PARK" and names.count("CHANNEL_HANGUP_COMPLETE") == 1
    assert set(names) <= {
        "CHANNEL_PARK",
        "CHANNEL_ANSWER",
        "CHANNEL_EXECUTE_COMPLETE",
        "CHANNEL_HANGUP_COMPLETE",
    }
    wait_for(lambda: not redis_client.sismember(controlled, call.uuid), what="release")
    claims = claims_key(node_settings.namespace, call.uuid)
    assert redis_client.hgetall(claims) == {
        answer["id"]: DONE,
        tone["id"]: DONE,
        hangup["id"]: DONE,
    }
    assert 0 < redis_client.ttl(claims) <= node_settings.hangup_grace  # goes with the call


def test_given_the_switch_cuts_the_connection_mid_call_then_the_call_goes_on_after_reconnecting(
    emulator, spawn_ecallmgr, node_settings, redis_client
):
    spawn_ecallmgr()
    wait_for(lambda: subscribed(emulator), what="ecallmgr to subscribe")
    call = emulator.place_call("1000")
    wait_for(lambda: inbox(redis_client, node_settings, call.uuid), what="the park")

    assert emulator.cut_connections(refuse_for=0.5) == 1
    wait_for(lambda: subscribed(emulator), what="ecallmgr to subscribe again")
    publish_command(node_settings, command(call.uuid, "hangup"))
    assert call.wait_hangup() == "NORMAL_CLEARING"
    wait_for(
        lambda: (
            [e["name"] for e in inbox(redis_client, node_settings, call.uuid)][-1:]
            == ["CHANNEL_HANGUP_COMPLETE"]
        )
    )
    wait_for(lambda: node_stats(redis_client, node_settings).get("esl.connects") == 2)


def test_given_an_emulator_flood_then_ecallmgr_is_not_dropped_and_publishes_nothing_uncontrolled(
    emulator, spawn_ecallmgr, node_settings, redis_client
):
    spawn_ecallmgr()
    wait_for(lambda: subscribed(emulator), what="ecallmgr to subscribe")
    listener = subscribed(emulator)[0]
    # the re-sync's confirming listings over first: a listing's reply queued behind
    # seconds of flood times out, and ecallmgr renews the connection (not under test here)
    wait_for(
        lambda: "reconcile.vanished" in node_stats(redis_client, node_settings),
        what="the confirming re-sync",
    )
    report = emulator.flood(50_000, pipeline_share=0.5)
    print(f"emulator flood: {report.events_per_second:.0f} events/s, {report.bytes} bytes")

    stats = wait_for(
        lambda: (
            (s := node_stats(redis_client, node_settings)).get("reader.events", 0)
            >= report.pipeline_events
            and s
        ),
        what="the flood to be read",
    )
    assert emulator.connections == {listener}  # never killed for lost events
    assert stats.get("publish.events", 0) == 0  # a phantom channel nobody controls
    assert stats["events.uncontrolled"] == report.pipeline_events
