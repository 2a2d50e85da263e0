"""compact_json: orjson's speed, and everything json accepted still accepted."""

from __future__ import annotations

import json
import math

import pytest

from kazoo_tasks import compact_json

EVENT = {
    "name": "CHANNEL_EXECUTE_COMPLETE",
    "call_id": "6c2b6a1e-0f3c-4b7e-9a55-3d1f2c0e8b71",
    "timestamp": 1733570000.123456,
    "sequence": 4821,
    "headers": {"Caller-Caller-ID-Name": "Zoë Ölçer", "variable_sip_h_X-Ünï": "日本"},
}


def test_given_ordinary_data_when_written_then_it_is_what_compact_json_dumps_writes() -> None:
    assert compact_json.dumps(EVENT).decode() == json.dumps(
        EVENT, separators=(",", ":"), ensure_ascii=False
    )
    assert compact_json.loads(compact_json.dumps(EVENT)) == EVENT


def test_given_int_keys_when_written_then_they_become_strings_as_json_makes_them() -> None:
    assert compact_json.loads(compact_json.dumps({1: "a", "b": {2: 3}})) == json.loads(
        json.dumps({1: "a", "b": {2: 3}})
    )


@pytest.mark.parametrize(
    "value",
    [{"big": 2**70}, {"surrogate": "\ud800"}, [-(2**65), 1]],
    ids=["int beyond 64 bits", "lone surrogate", "negative big int"],
)
def test_given_what_orjson_refuses_when_written_then_json_writes_it_and_it_reads_back(
    value: object,
) -> None:
    assert compact_json.loads(compact_json.dumps(value)) == value


def test_given_json_text_with_nan_or_spaces_when_read_then_it_reads_as_json_reads_it() -> None:
    assert math.isnan(compact_json.loads('{"x": NaN}')["x"])
    assert compact_json.loads('{"a": [1, 2],  "b": "c"}') == {"a": [1, 2], "b": "c"}


def test_given_bad_json_when_read_then_json_decode_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        compact_json.loads('{"a": ')
