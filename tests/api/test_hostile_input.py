"""Hostile and oversized input over real HTTP: deep nesting, bodies past their limit
(announced or chunked), invalid UTF-8, thousands of query parameters. Each gets a 400 or
a 413 in Kazoo's envelope, never a 500, and oversized bodies are refused before they are
read."""

from __future__ import annotations

import json

import pytest
import requests

from api.limits import MAX_JSON_DEPTH, MAX_QUERY_PARAMS
from api.server import RunningServer
from kazoo_tasks.config import Settings
from tests.crossbar import Crossbar, LoggedIn
from tests.rawhttp import send, stream_chunks

MB = 1024 * 1024


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def callflow_nested(levels: int) -> str:
    """A callflow whose tree is ``levels`` nodes deep, as JSON text (built as text: the
    json module itself could not encode it)."""
    node_open = (
        '{"module": "play", "data": {"id": "tone_stream://%(200,0,500)"}, "children": {"_": '
    )
    leaf = '{"module": "hangup", "data": {}, "children": {}}'
    return (
        '{"data": {"name": "deep", "numbers": ["4242"], "flow": '
        + node_open * levels
        + leaf
        + "}}" * levels
        + "}}"
    )


def put_raw(
    root: LoggedIn, resource: str, body: str | bytes, content_type: str | None = None
) -> requests.Response:
    """PUT ``body`` as it is (not encoded as JSON here) to ``resource`` of the account."""
    headers = {"X-Auth-Token": root.client.token or ""}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return requests.put(
        f"{root.client.base_url}/v2/accounts/{root.id}/{resource}",
        data=body,
        headers=headers,
        timeout=30,
    )


def assert_field_error(answer: requests.Response, field: str, rule: str) -> None:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["status"] == "error" and body["error"] == "400"
    assert rule in body["data"][field], body["data"]


def test_given_json_nested_100000_deep_when_sent_anywhere_then_400_with_a_field_error(
    root: LoggedIn, crossbar: Crossbar
) -> None:
    body = '{"data": ' + nested(100_000) + "}"
    headers = {"Content-Type": "application/json", "X-Auth-Token": root.client.token or ""}
    url = f"{crossbar.base_url}/v2/accounts/{root.id}/users"
    answer = requests.put(url, data=body, headers=headers, timeout=30)
    assert_field_error(answer, "data", "maxDepth")
    # the unauthenticated login endpoint, without a token
    login = requests.put(
        f"{crossbar.base_url}/v2/api_auth",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert_field_error(login, "data", "maxDepth")


def test_given_a_callflow_nested_10000_levels_when_created_then_400(root: LoggedIn) -> None:
    answer = put_raw(root, "callflows", callflow_nested(10_000))
    assert_field_error(answer, "data", "maxDepth")
    assert root.client.get(f"/accounts/{root.id}/callflows").json()["data"] == []


def test_given_json_just_past_the_depth_limit_when_sent_then_400_and_at_it_then_accepted(
    root: LoggedIn,
) -> None:
    deep_value = nested(MAX_JSON_DEPTH - 2)  # body object + data object + this
    ok_body = '{"data": {"first_name": "a", "last_name": "b", "extra": ' + deep_value + "}}"
    too_deep = '{"data": {"first_name": "a", "last_name": "b", "extra": [' + deep_value + "]}}"
    assert_field_error(put_raw(root, "users", too_deep), "data", "maxDepth")
    accepted = put_raw(root, "users", ok_body)
    assert accepted.status_code in (201, 400), accepted.text  # the schema decides, not a crash


def test_given_a_deep_but_legal_callflow_when_created_then_201(root: LoggedIn) -> None:
    answer = put_raw(root, "callflows", callflow_nested(60))
    assert answer.status_code == 201, answer.text[:500]


def test_given_a_10mb_json_body_when_announced_then_413_before_it_is_sent(
    server: RunningServer, root: LoggedIn, api_settings: Settings
) -> None:
    target = f"/v2/accounts/{root.id}/users"
    answer = send(
        server.url,
        "PUT",
        target,
        {"X-Auth-Token": root.client.token or "", "Content-Length": str(10 * MB)},
    )  # headers only: the body is never sent, the answer comes anyway
    assert answer.status == 413
    body = answer.json()
    assert body["error"] == "413" and body["message"] == "request_entity_too_large"
    assert body["data"]["target"] == api_settings.api_max_body_bytes


def test_given_a_chunked_body_past_the_limit_when_streamed_then_413_without_reading_it_all(
    server: RunningServer, root: LoggedIn, api_settings: Settings
) -> None:
    answer, sent = stream_chunks(
        server.url,
        "PUT",
        f"/v2/accounts/{root.id}/users",
        {"X-Auth-Token": root.client.token or ""},
        b"x" * 65536,
        10 * MB,
    )
    assert answer.status == 413, answer.body[:200]
    assert answer.json()["data"]["target"] == api_settings.api_max_body_bytes
    assert sent < 10 * MB  # refused while streaming, not after


def test_given_100mb_to_the_unauthenticated_api_auth_when_sent_then_413_and_not_read(
    server: RunningServer,
) -> None:
    announced = send(server.url, "PUT", "/v2/api_auth", {"Content-Length": str(100 * MB)})
    assert announced.status == 413
    chunked, sent = stream_chunks(server.url, "PUT", "/v2/api_auth", {}, b"y" * 65536, 100 * MB)
    assert chunked.status == 413
    assert sent < 10 * MB


def test_given_a_media_upload_past_the_media_limit_when_sent_then_413_before_buffering(
    server: RunningServer, root: LoggedIn, api_settings: Settings
) -> None:
    media = root.client.put(f"/accounts/{root.id}/media", {"name": "big"}).json()["data"]["id"]
    target = f"/v2/accounts/{root.id}/media/{media}/raw"
    limit = api_settings.media_max_bytes
    headers = {"X-Auth-Token": root.client.token or "", "Content-Type": "audio/mpeg"}
    announced = send(server.url, "POST", target, {**headers, "Content-Length": str(200 * MB)})
    assert announced.status == 413
    assert announced.json()["data"]["target"] == limit
    streamed, sent = stream_chunks(server.url, "POST", target, headers, b"z" * 65536, 200 * MB)
    assert streamed.status == 413
    assert limit <= sent < limit + 8 * MB
    # a media upload below the media limit but above the JSON limit is accepted
    audio = b"ID3" + b"\0" * (2 * MB)
    accepted = requests.post(server.url + target, headers=headers, data=audio, timeout=30)
    assert accepted.status_code == 200, accepted.text


@pytest.mark.parametrize(
    "target",
    [
        b"/v2/accounts/%FF%FE/users",
        b"/v2/accounts/\xff\xfe/users",
        b"/v2/accounts?filter_name=%C3%28",
        b"/v2/api_auth?x=\xc3\x28",
    ],
    ids=["percent-path", "raw-path", "percent-query", "raw-query"],
)
def test_given_urls_that_are_not_utf8_when_requested_then_400(
    server: RunningServer, root: LoggedIn, target: bytes
) -> None:
    answer = send(server.url, "GET", target, {"X-Auth-Token": root.client.token or ""})
    assert answer.status == 400, answer.body[:300]
    assert answer.json()["status"] == "error"


def test_given_a_body_that_is_not_utf8_when_sent_then_400(root: LoggedIn) -> None:
    for body in (b'{"data": {"first_name": "\xff\xfe", "last_name": "x"}}', b"\xff" * 64):
        answer = put_raw(root, "users", body, "application/json")
        assert answer.status_code == 400, answer.text
        assert answer.json()["message"] == "invalid request"


def test_given_thousands_of_query_parameters_when_listing_then_400_never_500(
    root: LoggedIn,
) -> None:
    path = f"/accounts/{root.id}/users?" + "&".join(f"filter_f{n}=v" for n in range(5000))
    answer = root.client.get(path)
    assert_field_error(answer, "query_string", "maxItems")
    at_limit = "&".join(f"filter_f{n}=v" for n in range(MAX_QUERY_PARAMS))
    assert root.client.get(f"/accounts/{root.id}/users?{at_limit}").status_code == 200
    huge = "&".join(f"p{n}=" + "v" * 100 for n in range(3000))  # past waitress' header limit
    too_long = root.client.get(f"/accounts/{root.id}/users?{huge}")
    assert too_long.status_code in (400, 413, 414, 431), too_long.status_code


def test_given_a_json_body_that_is_not_an_object_when_sent_then_400(root: LoggedIn) -> None:
    for body in ("[1, 2]", '"text"', "null", json.dumps({"data": [1]})):
        answer = put_raw(root, "users", body)
        assert answer.status_code == 400, (body, answer.text)
