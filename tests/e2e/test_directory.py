"""``directory`` (dial by name) on the whole pipeline: the caller keys in the first letters
of a name, hears each match and connects to the one chosen; too few letters, a match
passed over and a directory that does not exist."""

from __future__ import annotations

from api.documents import DocumentService
from api.users.resource import SPEC as USERS
from kazoo_tasks.docstore import account_db
from kazoo_tasks.esl.emulator import script as s
from tests.e2e.conftest import SECOND_TONE, TONE, node

COLLECT = "play_and_get_digits"


def company(account, store) -> str:
    """A directory of Anna Smith (2401 plays TONE) and John Smyth (2402 plays SECOND_TONE);
    Zed Jones is not in it."""
    db = account_db(account.id)
    directory = store.save(db, {"pvt_type": "directory", "name": "Company", "min_dtmf": 3})["_id"]
    users = DocumentService(store, USERS)
    for first, last, number, media in (
        ("Anna", "Smith", "2401", TONE), ("John", "Smyth", "2402", SECOND_TONE),
        ("Zed", "Jones", "2403", TONE),
    ):  # fmt: skip
        user = users.create(account.id, {"first_name": first, "last_name": last})
        callflow = account.callflow([number], node("play", {"id": media}))
        if first != "Zed":
            store.save(db, {**store.get(db, user["_id"]), "directories": {directory: callflow}})
    return directory


def test_given_letters_of_a_name_then_the_match_chosen_is_connected(stack, account, store):
    account.callflow(["2400"], node("directory", {"id": company(account, store)}))
    caller = [
        s.on_app(COLLECT, 1).wait(0.5).press("76#"),  # too few letters
        s.on_app(COLLECT, 2).wait(0.5).press("764"),  # SMI: Anna Smith
        s.on_app(COLLECT, 3).wait(0.5).press("2"),  # next: none, start over
        s.on_app(COLLECT, 4).wait(0.5).press("769"),  # SMY: John Smyth
        s.on_app(COLLECT, 5).wait(0.5).press("1"),  # connect
    ]

    call = stack.emulator.place_call("2400", variables=account.variables, script=caller)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [c.args for c in call.commands if c.app == "speak"] == [
        "flite|slt|Anna Smith",
        "flite|slt|John Smyth",
    ]
    assert [c.args for c in call.commands if c.app == "playback"] == [SECOND_TONE]


def test_given_a_directory_that_does_not_exist_then_the_flow_goes_on(stack, account):
    account.callflow(
        ["2404"], node("directory", {"id": "nowhere"}, then=node("play", {"id": TONE}))
    )

    call = stack.emulator.place_call("2404", variables=account.variables)

    assert call.wait_hangup(timeout=30) == "NORMAL_CLEARING"
    assert [c.args for c in call.commands if c.app == "playback"] == [TONE]
