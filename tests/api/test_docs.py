"""docs/api.md: its shell examples run verbatim (bash, curl, jq) against the live API, in
order, and leave what they say they create."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from api.server import RunningServer
from kazoo_tasks.docstore import DocumentStore
from tests.api.conftest import LoggedIn

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def shell_examples() -> str:
    """Every ```sh block of docs/api.md, in order, as one script."""
    return "\n".join(re.findall(r"```sh\n(.*?)```", DOC.read_text(), flags=re.S))


def test_given_the_admin_guide_when_its_curl_examples_run_then_they_do_what_it_says(
    server: RunningServer, root: LoggedIn, store: DocumentStore, tmp_path: Path
) -> None:
    script = shell_examples()
    assert script.count("curl") >= 10
    (tmp_path / "examples.sh").write_text(script)
    run = subprocess.run(
        ["bash", "-euo", "pipefail", str(tmp_path / "examples.sh")],
        env={"PATH": "/usr/bin:/bin", "API": f"{server.url}/v2", "API_KEY": root.api_key},
        capture_output=True,
        text=True,
        timeout=120,
    )
    (tmp_path / "examples.out").write_text(run.stdout + run.stderr)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert f"logged in to account {root.id}" in out
    child_id = re.search(r"sub-account ([0-9a-f]{32})", out).group(1)  # type: ignore[union-attr]
    assert re.search(r"user [0-9a-f]{32}", out) and re.search(r"device [0-9a-f]{32}", out)
    callflow_id = re.search(r"callflow ([0-9a-f]{32})", out).group(1)  # type: ignore[union-attr]

    client = root.client
    assert client.get(f"/accounts/{child_id}").json()["data"]["name"] == "Acme Corp"
    assert '"numbers":{"unique"' in out  # the duplicate number was refused, naming it
    assert callflow_id in out
    flow = client.get(f"/accounts/{child_id}/callflows/{callflow_id}").json()["data"]["flow"]
    assert flow["children"]["_"]["module"] == "hangup"
    users = client.get(f"/accounts/{child_id}/users").json()["data"]
    assert [u["username"] for u in users] == ["alice"]
    assert out.rstrip().endswith("alice")  # the filter found her
    devices = client.get(f"/accounts/{child_id}/devices").json()["data"]
    assert devices[0]["owner_id"] == users[0]["id"]
