"""Commands out: exactly one frame each, nothing injected, duplicates written once, and a
COMMAND_ERROR in the call's inbox whenever a command cannot run."""

from __future__ import annotations

import re
import time
import uuid

import pytest

from kazoo_tasks.commands import sanitize_text
from kazoo_tasks.testing import RoleProcess
from tests.ecallmgr.conftest import (
    LISTING,
    NODE,
    after_resync,
    inbox,
    new_call_id,
    node_stats,
    park_call,
    playback,
    publish_command,
    queued_commands,
    without_marks,
)
from tests.ecallmgr.transcripts import CALL, CALL_UUID, PLAYBACK_COMMAND_UUID
from tests.waiting import wait_for
from workers.ecallmgr.claims import DONE, claims_key

EVIL_NAME = "Alice\nevent-lock: false\n\napi uuid_kill 00000000-0000-0000-0000-000000000000"


@pytest.fixture
def parked(switch, spawn_ecallmgr) -> tuple[RoleProcess, str]:
    """An ecallmgr subscribed to the switch and a call parked there: (process, call id)."""
    ecallmgr = spawn_ecallmgr()
    wait_for(switch.subscribed)
    call_id = new_call_id()
    park_call(switch, call_id)
    return ecallmgr, call_id


def command_errors(client, settings, call_id):
    return [e for e in inbox(client, settings, call_id) if e["name"] == "COMMAND_ERROR"]


def written_after_handshake(switch) -> bytes:
    return after_resync(switch.subscribed()[0])


def test_given_a_playback_command_then_the_switch_receives_the_recorded_clients_exact_bytes(
    switch, parked, node_settings, redis_client
):
    _, call_id = parked
    command_id = str(uuid.uuid4())
    publish_command(node_settings, playback(call_id, command_id))

    wait_for(lambda: switch.commands(b"sendmsg"), what="the sendmsg")
    recorded = next(c for c in CALL.commands if c.startswith(b"sendmsg")) + b"\n\n"
    expected = recorded.replace(CALL_UUID.encode(), call_id.encode()).replace(
        PLAYBACK_COMMAND_UUID.encode(), command_id.encode()
    )
    wait_for(lambda: node_stats(redis_client, node_settings).get("commands.sent") == 1)
    written = written_after_handshake(switch)
    assert written[: len(expected)] == expected
    # in the same write, the switch notes it as the last command written (written_mark.py)
    mark = rb"api global_setvar kazoo_tasks_\w+_written=[^|\s]+\|%s\|%s\n\n"
    assert re.fullmatch(mark % (call_id.encode(), command_id.encode()), written[len(expected) :])
    assert queued_commands(node_settings) == 0
    assert command_errors(redis_client, node_settings, call_id) == []


def test_given_a_caller_id_name_with_a_newline_then_nothing_is_injected(
    switch, parked, node_settings, redis_client
):
    _, call_id = parked
    raw = {
        "id": str(uuid.uuid4()),
        "call_id": call_id,
        "node": NODE,
        "kind": "execute",
        "app": "set",
        "args": f"effective_caller_id_name={EVIL_NAME}",
    }
    publish_command(node_settings, raw)
    errors = wait_for(lambda: command_errors(redis_client, node_settings, call_id))
    assert errors[0]["application_uuid"] == raw["id"]
    assert "line breaks" in errors[0]["application_response"]
    assert written_after_handshake(switch) == b""  # refused: not a byte reached the switch

    sanitized = {**raw, "id": str(uuid.uuid4()), "args": sanitize_text(raw["args"])}
    publish_command(node_settings, sanitized)
    wait_for(lambda: switch.commands(b"sendmsg"), what="the sanitized command")
    assert (
        without_marks(written_after_handshake(switch))
        == (
            f"sendmsg {call_id}\n"
            "call-command: execute\n"
            "execute-app-name: set\n"
            "execute-app-arg: effective_caller_id_name=Alice event-lock: false  api uuid_kill "
            "00000000-0000-0000-0000-000000000000\n"
            "event-lock: true\n"
            f"Event-UUID: {sanitized['id']}\n\n"
        ).encode()
    )
    listings = switch.commands(LISTING[:-2])
    # auth, event plain, the mark read, one sendmsg and its mark
    assert len(switch.commands()) == 5 + len(listings)


def test_given_an_api_command_with_a_line_break_or_a_bad_call_id_then_it_is_refused_and_logged(
    switch, parked, node_settings, redis_client
):
    ecallmgr, call_id = parked
    base = {"node": NODE, "kind": "api", "app": "uuid_break"}
    publish_command(node_settings, {**base, "id": "a1", "call_id": call_id, "args": "all\n\nexit"})
    publish_command(node_settings, {**base, "id": "a2", "call_id": f"{call_id}\nexit"})
    publish_command(node_settings, {**base, "id": "a3", "call_id": f"{call_id}\n"})
    publish_command(node_settings, ["not", "an", "object"])
    wait_for(lambda: node_stats(redis_client, node_settings).get("commands.invalid") == 4)
    errors = command_errors(redis_client, node_settings, call_id)
    assert [e["application_uuid"] for e in errors] == ["a1"]
    assert written_after_handshake(switch) == b""
    assert ecallmgr.log().count("refused command") == 4
    assert queued_commands(node_settings) == 0


def test_given_a_command_published_twice_then_it_is_written_once(
    switch, parked, node_settings, redis_client
):
    _, call_id = parked
    command = playback(call_id)
    publish_command(node_settings, command)
    publish_command(node_settings, command)
    publish_command(node_settings, playback(call_id))  # a marker after the duplicate

    wait_for(lambda: len(switch.commands(b"sendmsg")) == 2, what="two sendmsg")
    stats = wait_for(
        lambda: (s := node_stats(redis_client, node_settings)).get("commands.sent") == 2 and s
    )
    assert stats["commands.duplicate"] == 1
    assert [c.count(command["id"].encode()) for c in switch.commands(b"sendmsg")] == [1, 0]
    assert queued_commands(node_settings) == 0
    assert command_errors(redis_client, node_settings, call_id) == []


def test_given_commands_claimed_by_an_ecallmgr_that_died_then_only_a_hangup_is_written_again(
    switch, parked, node_settings, redis_client
):
    """An ecallmgr killed between claiming a command and FreeSWITCH's answer leaves the
    outcome unknown (it may have written the frame): a playback is not written twice (the
    node gets a COMMAND_ERROR), but a hangup is, since hanging a channel up twice is
    harmless and a hangup nobody sends leaves the call up for good."""
    _, call_id = parked
    stray, hangup = playback(call_id), {
        "id": str(uuid.uuid4()), "call_id": call_id, "node": NODE, "kind": "hangup",
    }  # fmt: skip
    for command in (stray, hangup):  # claimed by an ecallmgr that then died
        redis_client.hset(claims_key(node_settings.namespace, call_id), command["id"], "vm:1:dead")
    publish_command(node_settings, stray)
    publish_command(node_settings, hangup)

    wait_for(lambda: switch.commands(b"sendmsg"), what="the hangup written")
    written = switch.commands(b"sendmsg")
    assert len(written) == 1 and b"call-command: hangup" in written[0], written
    errors = wait_for(lambda: command_errors(redis_client, node_settings, call_id))
    assert [e["application_uuid"] for e in errors] == [stray["id"]]
    assert "outcome unknown" in errors[0]["application_response"]
    claims = redis_client.hgetall(claims_key(node_settings.namespace, call_id))
    assert claims[hangup["id"]] == DONE


def test_given_freeswitch_answers_err_then_the_call_gets_a_command_error(
    switch, spawn_ecallmgr, node_settings, redis_client
):
    ecallmgr = spawn_ecallmgr()
    wait_for(switch.subscribed)
    gone = new_call_id()  # not a channel on the switch
    command = playback(gone)
    kill = {"id": "k1", "call_id": gone, "node": NODE, "kind": "api", "app": "uuid_kill"}
    publish_command(node_settings, command)
    publish_command(node_settings, kill)

    errors = wait_for(
        lambda: len(e := command_errors(redis_client, node_settings, gone)) == 2 and e
    )
    assert [(e["application_uuid"], e["application_response"]) for e in errors] == [
        (command["id"], f"-ERR invalid session id [{gone}]"),
        ("k1", "-ERR No such channel!"),
    ]
    assert errors[0]["application_name"] == "playback"
    assert errors[0]["headers"]["Kazoo-Synthetic"] == "command failed"
    wait_for(lambda: node_stats(redis_client, node_settings).get("commands.failed") == 2)
    assert queued_commands(node_settings) == 0
    # a channel gone while its command was on the way is normal life: INFO, not WARNING
    failures = [line for line in ecallmgr.log().splitlines() if f"of call {gone} failed" in line]
    assert len(failures) == 2
    assert all(" INFO " in line for line in failures), failures


def test_given_the_switch_is_down_then_commands_wait_in_the_queue_until_it_is_back(
    switch, spawn_ecallmgr, node_settings, redis_client
):
    switch.accepting = False
    spawn_ecallmgr()
    wait_for(lambda: len(switch.refused_at) >= 2, what="connection attempts")
    call_id = new_call_id()
    switch.channels.add(call_id)
    command = playback(call_id)
    publish_command(node_settings, command)
    time.sleep(1.5)
    assert queued_commands(node_settings) == 1
    assert switch.commands() == []

    switch.accepting = True
    wait_for(lambda: switch.commands(b"sendmsg"), timeout=15, what="the queued command")
    assert command["id"].encode() in switch.commands(b"sendmsg")[0]
    wait_for(lambda: queued_commands(node_settings) == 0)
