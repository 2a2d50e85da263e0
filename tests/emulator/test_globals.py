"""Global variables as ecallmgr's written mark uses them (workers/ecallmgr/written_mark.py):
replies as FreeSWITCH 1.10.12 writes them (mod_commands' ``global_setvar`` writes
``+OK``; mod_event_socket turns an empty ``global_getvar`` into ``-ERR no reply``), and a
``sendmsg`` followed by a ``global_setvar`` in one write: the message is queued on the
channel before the variable is set."""

from __future__ import annotations

from kazoo_tasks.esl.frames import encode_frame
from tests.emulator.calls import parked_call


def test_given_global_variables_then_set_and_get_answer_as_freeswitch_does(esl):
    client = esl()

    assert client.api("global_getvar kazoo_tasks_kazoo_written") == "-ERR no reply\n"
    assert client.api("global_setvar kazoo_tasks_kazoo_written=host:1:ab|call|cmd") == "+OK"
    assert client.api("global_getvar kazoo_tasks_kazoo_written") == "host:1:ab|call|cmd"


def test_given_a_sendmsg_and_a_mark_in_one_write_then_the_app_runs_and_the_mark_names_it(
    park_emulator, esl
):
    client = esl()
    client.subscribe("CHANNEL_EXECUTE_COMPLETE")
    call = parked_call(park_emulator, "2000")
    headers = [
        ("call-command", "execute"),
        ("execute-app-name", "answer"),
        ("Event-UUID", "cmd-1"),
    ]
    frames = f"sendmsg {call.uuid}\n".encode() + encode_frame(headers)
    frames += f"api global_setvar kazoo_tasks_kazoo_written=me|{call.uuid}|cmd-1\n\n".encode()

    client.send(frames)

    assert [r.reply_text for r in client.replies(2)] == ["+OK", "+OK"]
    done = client.wait_event("CHANNEL_EXECUTE_COMPLETE", uuid_=call.uuid)
    assert done.headers["Application-UUID"] == "cmd-1"
    assert client.api("global_getvar kazoo_tasks_kazoo_written").endswith("|cmd-1")
