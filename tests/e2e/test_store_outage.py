"""A document store that cannot be reached while a module runs delays the call (the
event is applied again, with back-off) instead of sending it down ``_`` as a module
failure would."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.e2e.conftest import TONE, Account, node
from tests.waiting import wait_for

WILDCARD = "tone_stream://%(100,0,660)"


def test_given_the_store_unreachable_when_a_module_reads_it_then_the_step_is_retried_once_back(
    stack_factory, account: Account, test_modules, tmp_path: Path
):
    stack = stack_factory(python_path=test_modules)
    flag = tmp_path / "store-down"
    flag.touch()
    flow = node("answer", then=node("store_outage", {"flag": str(flag)}))
    flow["children"]["_"]["children"] = {
        "ok": node("play", {"id": TONE}),
        "_": node("play", {"id": WILDCARD}),
    }
    account.callflow(["6000"], flow)
    tries = Path(f"{flag}.tries")

    call = stack.emulator.place_call("6000", variables=account.variables)
    wait_for(lambda: tries.exists() and tries.read_text().count("try") >= 2, 30, "two tries")
    threading.Timer(0.5, flag.unlink).start()

    assert call.wait_hangup(timeout=60) == "NORMAL_CLEARING"
    assert [args for app, args in call.applications if app == "playback"] == [TONE]
    trace = account.wait_cdr(call.uuid)["trace"]
    outage = [e for e in trace if e.get("module") == "store_outage"]
    assert [e["outcome"] for e in outage] == ["continue:ok"]
