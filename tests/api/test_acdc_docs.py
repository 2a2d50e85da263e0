"""docs/acdc.md: its shell examples run verbatim (bash, curl, jq) against the live API, in
order, and do what the guide says."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from api.server import RunningServer
from tests.crossbar import LoggedIn

DOC = Path(__file__).resolve().parents[2] / "docs" / "acdc.md"


def test_given_the_call_center_guide_when_its_curl_examples_run_then_they_do_what_it_says(
    server: RunningServer, root: LoggedIn, tmp_path: Path
) -> None:
    script = "\n".join(re.findall(r"```sh\n(.*?)```", DOC.read_text(), flags=re.S))
    (tmp_path / "examples.sh").write_text(script)
    run = subprocess.run(
        ["bash", "-euo", "pipefail", str(tmp_path / "examples.sh")],
        env={"PATH": "/usr/bin:/bin", "API": f"{server.url}/v2", "API_KEY": root.api_key},
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = run.stdout
    assert run.returncode == 0, out + run.stderr
    queue_id = re.search(r"queue ([0-9a-f]{32})", out).group(1)  # type: ignore[union-attr]
    agent_id = re.search(r"agent ([0-9a-f]{32})", out).group(1)  # type: ignore[union-attr]
    assert re.search(r"callflow [0-9a-f]{32}", out)
    lines = out.splitlines()
    assert f'{{"status":"ready","queues":["{queue_id}"]}}' in lines
    assert "paused" in lines and "ready" in lines
    assert any('"error":"400"' in line and "end_wrapup" in line for line in lines), out
    assert '{"handled":0,"missed":0}' in lines
    assert f'["{agent_id}"]' in lines and f"roster {agent_id}" in lines
    numbers = {
        n
        for flow in root.client.get(f"/accounts/{root.id}/callflows").json()["data"]
        for n in flow["numbers"]
    }
    assert {"5000", "*71", "*72", "*73", "*74"} <= numbers
