"""The command contract refuses a trailing line break in every pattern-checked field
(Python's ``$`` matches before a final newline: ``sendmsg <uuid>\\n\\n`` would end the frame
early and turn the next header lines into a second command)."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from kazoo_tasks.commands import render_command

CALL_ID = "e1068212-4fcf-4a0d-a64b-dbfd5a0cbd2e"
HANGUP = {"id": "c1", "call_id": CALL_ID, "node": "fs1", "kind": "hangup"}
EXECUTE = {"id": "c2", "call_id": CALL_ID, "node": "fs1", "kind": "execute", "app": "answer"}
API = {"id": "c3", "call_id": CALL_ID, "node": "fs1", "kind": "api", "app": "uuid_kill"}


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (HANGUP, "call_id"),
        (HANGUP, "id"),
        (HANGUP, "hangup_cause"),
        (EXECUTE, "app"),
        (API, "call_id"),
        (API, "args"),
    ],
)
def test_given_a_trailing_newline_in_a_field_when_rendered_then_the_command_is_refused(
    command, field
):
    value = command.get(field, "NORMAL_CLEARING" if field == "hangup_cause" else "x")
    with pytest.raises(ValidationError) as error:
        render_command({**command, field: value + "\n"})
    assert field in error.value.messages


def test_given_clean_fields_then_one_frame_ends_with_the_only_blank_line():
    frame = render_command(HANGUP)
    assert frame.count(b"\n\n") == 1 and frame.endswith(b"\n\n")
