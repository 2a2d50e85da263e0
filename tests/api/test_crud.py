"""Every document resource, through real HTTP: create, read, list with paging and filters,
replace, patch (null deletes), delete, and stale revisions refused with 409."""

from __future__ import annotations

import pytest

from tests.api.samples import SAMPLES, Sample
from tests.crossbar import LoggedIn

RESOURCES = sorted(SAMPLES)

# production runs on CouchDB: every resource is exercised on both back ends
pytestmark = pytest.mark.parametrize("store", ["embedded", "couch"], indirect=True)


@pytest.fixture(params=RESOURCES)
def resource(request: pytest.FixtureRequest) -> str:
    """Each document resource in turn."""
    return request.param


@pytest.fixture
def sample(resource: str) -> Sample:
    """How to make valid documents of ``resource``."""
    return SAMPLES[resource]


def _path(root: LoggedIn, resource: str, doc_id: str = "") -> str:
    base = f"/accounts/{root.id}/{resource}"
    return f"{base}/{doc_id}" if doc_id else base


def test_given_a_valid_document_when_created_then_it_reads_back_in_the_envelope(
    root: LoggedIn, resource: str, sample: Sample
) -> None:
    created = root.client.put(_path(root, resource), sample.make(1))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "success"
    assert body["request_id"] and body["auth_token"] == root.client.token
    doc = body["data"]
    assert body["revision"] == created.headers["ETag"].strip('"')
    assert not [key for key in doc if key.startswith(("pvt_", "_"))]

    read = root.client.get(_path(root, resource, doc["id"]))
    assert read.status_code == 200
    assert read.json()["data"] == doc
    assert read.json()["revision"] == body["revision"]


def test_given_five_documents_when_listed_by_pages_of_two_then_each_comes_once(
    root: LoggedIn, resource: str, sample: Sample
) -> None:
    ids = set()
    for n in range(5):
        answer = root.client.put(_path(root, resource), sample.make(n))
        assert answer.status_code == 201, answer.text
        ids.add(answer.json()["data"]["id"])

    seen: list[str] = []
    start_key = None
    pages = 0
    while True:
        params = {"page_size": "2", **({"start_key": start_key} if start_key else {})}
        page = root.client.get(_path(root, resource), params=params).json()
        pages += 1
        assert page["page_size"] == len(page["data"]) <= 2
        seen += [entry["id"] for entry in page["data"]]
        start_key = page.get("next_start_key")
        if not start_key:
            break
    assert pages == 3
    assert sorted(seen) == sorted(ids)


def test_given_documents_when_filtered_then_only_matches_are_listed(
    root: LoggedIn, resource: str, sample: Sample
) -> None:
    made = [root.client.put(_path(root, resource), sample.make(n)).json()["data"] for n in (1, 2)]
    wanted = made[0][sample.field]

    only = root.client.get(_path(root, resource), params={f"filter_{sample.field}": wanted})
    assert [d["id"] for d in only.json()["data"]] == [made[0]["id"]]
    others = root.client.get(_path(root, resource), params={f"filter_not_{sample.field}": wanted})
    assert [d["id"] for d in others.json()["data"]] == [made[1]["id"]]


def test_given_a_document_when_replaced_patched_and_deleted_then_each_step_shows(
    root: LoggedIn, resource: str, sample: Sample
) -> None:
    doc = root.client.put(_path(root, resource), sample.make(1)).json()["data"]
    path = _path(root, resource, doc["id"])

    replacement = {**sample.make(1), sample.field: "replaced", "custom": {"a": 1, "b": 2}}
    replaced = root.client.post(path, replacement)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["data"][sample.field] == "replaced"

    patched = root.client.patch(path, {"custom": {"a": None, "c": 3}, sample.field: "patched"})
    assert patched.status_code == 200, patched.text
    data = patched.json()["data"]
    assert data[sample.field] == "patched"
    assert data["custom"] == {"b": 2, "c": 3}

    deleted = root.client.delete(path)
    assert deleted.status_code == 200
    assert root.client.get(path).status_code == 404


def test_given_a_stale_revision_when_writing_then_409_and_nothing_changes(
    root: LoggedIn, resource: str, sample: Sample
) -> None:
    first = root.client.put(_path(root, resource), sample.make(1))
    doc, stale = first.json()["data"], first.json()["revision"]
    path = _path(root, resource, doc["id"])
    fresh = root.client.patch(path, {sample.field: "second"}).json()["revision"]
    assert fresh != stale

    by_header = root.client.post(path, sample.make(1), headers={"If-Match": f'"{stale}"'})
    assert by_header.status_code == 409
    assert by_header.json()["error"] == "409"
    by_argument = root.client.patch(path, {sample.field: "third"}, params={"rev": stale})
    assert by_argument.status_code == 409
    refused_delete = root.client.delete(path, params={"rev": stale})
    assert refused_delete.status_code == 409

    current = root.client.get(path).json()
    assert current["revision"] == fresh and current["data"][sample.field] == "second"
    assert root.client.delete(path, headers={"If-Match": f'"{fresh}"'}).status_code == 200
