"""The API validates callflow nodes with the modules the engine's registry finds: one
look-up and one cache, so a module installed (or removed) and the registry refreshed is
accepted (or refused) by the API exactly as workers run it."""

from __future__ import annotations

from pathlib import Path

from tests.crossbar import LoggedIn
from tests.module_dist import installed_modules

BEEP = """
from marshmallow import Schema, fields, validate

from callflow.module import CallflowModule


class BeepData(Schema):
    times = fields.Integer(load_default=1, validate=validate.Range(min=1, max=5))


class Beep(CallflowModule):
    data_schema = BeepData
"""


def test_given_a_module_installed_then_removed_when_the_registry_refreshes_then_the_api_accepts_then_refuses_it(  # noqa: E501
    root: LoggedIn, tmp_path: Path
) -> None:
    callflows = f"/accounts/{root.id}/callflows"

    def save(data: dict) -> object:
        return root.client.put(callflows, {"flow": {"module": "beep", "data": data}})

    unknown = save({})  # looked up (and remembered as missing) before it is installed
    assert unknown.status_code == 400
    assert unknown.json()["data"]["flow.module"]["enum"]["message"] == (
        "Unknown callflow module 'beep'"
    )

    with installed_modules(tmp_path, "beep_module", BEEP, {"beep": "beep_module:Beep"}):
        created = save({})
        assert created.status_code == 201, created.text
        assert created.json()["data"]["flow"]["data"] == {"times": 1}
        refused = save({"times": 9})
        assert refused.status_code == 400
        assert "flow.data.times" in refused.json()["data"]

    assert save({}).status_code == 400
