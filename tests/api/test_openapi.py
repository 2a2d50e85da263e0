"""The OpenAPI (Swagger 2.0) document: valid, generated from the marshmallow schemas, and
schemathesis finds no server error in the live API (figures printed, see pytest -s)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from openapi_spec_validator import validate

from api.server import RunningServer
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore
from kazoo_tasks.docstore.embedded import EmbeddedDocumentStore
from schemas import DOCUMENT_SCHEMAS
from tests.crossbar import LoggedIn

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
ROOT = Path(__file__).resolve().parents[2]


def _spec(server: RunningServer) -> dict[str, Any]:
    answer = requests.get(f"{server.url}/v2/swagger.json", timeout=30)
    assert answer.status_code == 200
    return answer.json()


def test_given_the_live_api_when_its_document_is_read_then_it_is_valid_swagger(
    server: RunningServer,
) -> None:
    spec = _spec(server)
    validate(spec)
    assert spec["swagger"] == "2.0" and spec["basePath"] == "/v2"
    assert spec["securityDefinitions"]["X-Auth-Token"]["in"] == "header"
    assert "/accounts/{account_id}/users/{doc_id}" in spec["paths"]


def test_given_the_marshmallow_schemas_when_the_models_are_read_then_they_match(
    server: RunningServer,
) -> None:
    definitions = _spec(server)["definitions"]
    for schema in DOCUMENT_SCHEMAS.values():
        title = schema.__name__.removesuffix("Schema")
        model = definitions[title]
        fields = schema().fields
        assert set(model["properties"]) == {f.data_key or n for n, f in fields.items()} | {"id"}
        required = sorted(n for n, f in fields.items() if f.required)
        assert model.get("required", []) == required, title
    user = definitions["User"]["properties"]
    assert user["priv_level"] == {
        "type": "string",
        "enum": ["user", "admin"],
        "description": "Privilege level",
        "default": "user",
    }
    assert definitions["Vmbox"]["properties"]["pin"]["maxLength"] == 6
    node = definitions["CallflowNode"]
    assert {"test_ring", "test_say"} <= set(node["properties"]["module"]["enum"])
    assert definitions["Callflow"]["properties"]["flow"] == {"$ref": "#/definitions/CallflowNode"}


@pytest.fixture
def api_settings(api_settings: Settings) -> Settings:
    """Logins unlimited: the run fuzzes the login endpoints and logs in again itself."""
    return api_settings.with_overrides(api_auth_rate_limit="100000/minute")


@pytest.mark.long
@pytest.mark.timeout(900)  # the run's own limit below; a loaded machine takes over 300 s
def test_given_the_live_api_when_schemathesis_runs_then_no_server_error(
    server: RunningServer,
    root: LoggedIn,
    store: DocumentStore,
    api_settings: Settings,
    tmp_path: Path,
) -> None:
    made = root.client.put(
        f"/accounts/{root.id}/users",
        {
            "first_name": "S",
            "last_name": "T",
            "username": "st",
            "password": "st-pw",
            "priv_level": "admin",
        },
    )
    assert made.status_code == 201, made.text
    config = tmp_path / "schemathesis.toml"
    config.write_text(f'[parameters]\n"path.account_id" = "{root.id}"\n')
    report = tmp_path / "schemathesis.json"
    assert isinstance(store, EmbeddedDocumentStore)
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
        "PYTHONPATH": str(ROOT),
        "ST_ACCOUNT_ID": root.id,
        "ST_USER_ID": made.json()["data"]["id"],
        "ST_STORE_PATH": str(store.path),
        "ST_SECRET": api_settings.api_secret or "",
    }
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(config),
        "run",
        f"{server.url}/v2/swagger.json",
        "--checks",
        "not_a_server_error",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "5",
        "--workers",
        "1",  # hypothesis' lambda-source cache is not thread-safe (runtime errors with 2)
        "--seed",
        "20261127",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=900, cwd=tmp_path, env=env
    )
    (tmp_path / "schemathesis.log").write_text(run.stdout + run.stderr)
    result = json.loads(report.read_text())
    operations, cases = result["operations"], result["test_cases"]
    print(
        f"\nschemathesis: {operations['tested']}/{operations['total']} operations, "
        f"{cases['generated']} cases, {cases['with_failures']} with failures, "
        f"{len(result['failures'])} failures, errors {result['errors']}, "
        f"{result['running_time']:.0f}s (log: {tmp_path / 'schemathesis.log'})"
    )
    assert operations["tested"] == operations["total"] >= 100
    assert cases["generated"] > 1000
    assert result["failures"] == [] and cases["with_failures"] == 0, run.stdout[-3000:]
    assert result["errors"] == [], run.stdout[-3000:]
    assert run.returncode == 0, run.stdout[-3000:]
