"""Every role's ``/metrics`` during real calls: the counters move by what the calls did."""

from __future__ import annotations

import urllib.error
import urllib.request

from kazoo_tasks.testing import RoleProcess
from kazoo_tasks.testing.scrape import scrape, total, value
from kazoo_tasks.testing.services import free_port
from tests.e2e.conftest import TONE, node
from tests.waiting import wait_for

CALLS = 10
FLOW = node("answer", then=node("play", {"id": TONE}, then=node("hangup")))
COMMANDS_PER_CALL = 3  # answer, playback, hangup


def _status(url: str, method: str = "GET", body: bytes | None = None) -> int:
    request = urllib.request.Request(url, data=body, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except urllib.error.URLError:
        return 0  # not listening yet


def test_given_10_calls_when_each_role_is_scraped_then_its_counters_moved_by_what_the_calls_did(
    stack_factory, account, tmp_path
):
    ports = {"ecallmgr": free_port(), "worker": free_port(), "changes": free_port()}
    stack = stack_factory(
        {f"{role}_metrics_port": port for role, port in ports.items()}, changes=True
    )
    urls = {role: f"http://127.0.0.1:{port}" for role, port in ports.items()}
    api_port = free_port()
    api = RoleProcess(
        ["api"], stack.settings.with_overrides(api_port=api_port), tmp_path / "logs" / "api.log"
    ).start()
    try:
        account.callflow(["1000"], FLOW)
        for role in ("ecallmgr", "worker", "changes"):
            wait_for(lambda r=role: _status(urls[r] + "/readyz") == 200, 30, f"{role} ready")
        before = scrape(urls["worker"] + "/metrics")

        calls = [stack.emulator.place_call("1000", variables=account.variables) for _ in range(10)]

        assert [call.wait_hangup(timeout=30) for call in calls] == ["NORMAL_CLEARING"] * CALLS
        for call in calls:
            wait_for(lambda c=call: account.cdr(c.uuid), 30, "the CDR")
        # ecallmgr moves its counters into the metrics once a second
        ecallmgr = wait_for(
            lambda: (
                (s := scrape(urls["ecallmgr"] + "/metrics"))
                and value(s, "kazoo_call_setup_seconds_count", node="fs1") == CALLS
                and value(s, "kazoo_calls_active", node="fs1") == 0
                and total(s, "kazoo_esl_commands_total") >= CALLS * COMMANDS_PER_CALL
                and total(s, "kazoo_esl_events_published_total", event="CHANNEL_HANGUP_COMPLETE")
                >= CALLS
                and s
            ),
            30,
            "ecallmgr's counters",
        )
        assert value(ecallmgr, "kazoo_esl_commands_total", node="fs1", outcome="sent") == (
            CALLS * COMMANDS_PER_CALL
        )
        assert total(ecallmgr, "kazoo_esl_commands_total") == CALLS * COMMANDS_PER_CALL
        for name in ("CHANNEL_PARK", "CHANNEL_HANGUP_COMPLETE"):
            labels = {"node": "fs1", "event": name}
            assert value(ecallmgr, "kazoo_esl_events_received_total", **labels) == CALLS
            assert value(ecallmgr, "kazoo_esl_events_published_total", **labels) == CALLS
        assert total(ecallmgr, "kazoo_esl_events_dropped_total") == 0
        assert value(ecallmgr, "kazoo_esl_connected", node="fs1") == 1
        assert value(ecallmgr, "kazoo_lease_held", lease="node:fs1") == 1
        assert value(ecallmgr, "kazoo_esl_handoff_high_water", node="fs1") >= 1

        cdr_task = {"task": "kazoo.housekeeping.write_cdrs"}  # a batch of CDRs each
        worker = wait_for(
            lambda: (
                (s := scrape(urls["worker"] + "/metrics"))
                and value(s, "kazoo_calls_ended_total", cause="NORMAL_CLEARING") == CALLS
                and s
            ),
            30,
            "the workers' counters",
        )
        assert 1 <= value(worker, "kazoo_tasks_total", state="SUCCESS", **cdr_task) <= CALLS
        assert value(worker, "kazoo_task_duration_seconds_count", **cdr_task) >= 1
        events_task = {"task": "kazoo.call.handle_events"}
        assert value(worker, "kazoo_tasks_total", state="SUCCESS", **events_task) >= CALLS
        assert total(before, "kazoo_cache_lookups_total", result="hit") == 0
        # a route look-up per call, and the account's webhooks at each event a hook can
        # follow; the first in each pool child at least misses
        assert total(worker, "kazoo_cache_lookups_total", cache="documents") >= CALLS
        assert total(worker, "kazoo_cache_lookups_total", result="hit") >= 1

        changes = scrape(urls["changes"] + "/metrics")
        assert value(changes, "kazoo_lease_held", lease="changes") == 1

        api_url = f"http://127.0.0.1:{api_port}"
        wait_for(lambda: _status(api_url + "/metrics") == 200, 30, "the API")
        assert _status(api_url + "/v2/api_auth", "PUT", b'{"data": {"api_key": "x"}}') in (
            400,
            401,
        )
        assert _status(api_url + f"/v2/accounts/{account.id}/callflows") == 401
        api_metrics = scrape(api_url + "/metrics")
        route = "/v2/accounts/<account_id>/callflows"
        assert (
            value(api_metrics, "kazoo_api_requests_total", method="GET", route=route, status="401")
            == 1
        )
        assert value(api_metrics, "kazoo_api_auth_failures_total", route=route) == 1
        assert all(name.startswith("kazoo_") for name, _ in api_metrics)
    finally:
        api.stop()
