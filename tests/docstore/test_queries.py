"""Conformance: ``all_docs`` ranges and limits, Mango ``find`` with every operator."""

from __future__ import annotations

from typing import Any

import pytest

from kazoo_tasks.docstore import DocumentStore, InvalidRequest

PEOPLE: list[dict[str, Any]] = [
    {"_id": "p1", "pvt_type": "user", "name": "ann", "age": 31, "tags": ["a", "b"],
     "address": {"city": "paris"}, "devices": [{"kind": "sip", "n": 1}]},
    {"_id": "p2", "pvt_type": "user", "name": "bob", "age": 25, "tags": ["b"],
     "address": {"city": "lyon"}, "devices": [{"kind": "cell", "n": 2}]},
    {"_id": "p3", "pvt_type": "user", "name": "cid", "age": 40, "tags": [],
     "address": {"city": "paris"}, "devices": []},
    {"_id": "p4", "pvt_type": "device", "name": "dan", "enabled": False},
    {"_id": "p5", "pvt_type": "user", "name": "eve", "age": None, "tags": ["c"]},
]  # fmt: skip


@pytest.fixture
def people(store: DocumentStore, db: str) -> str:
    for person in PEOPLE:
        store.save(db, person)
    store.save(db, {"_id": "_design/users", "pvt_type": "user", "name": "zed", "age": 35})
    return db


def ids(docs: list[dict[str, Any]]) -> list[str]:
    return [doc["_id"] for doc in docs]


def test_given_docs_when_listing_all_then_ordered_by_id_without_design_docs(
    store: DocumentStore, people: str
) -> None:
    assert ids(store.all_docs(people)) == ["p1", "p2", "p3", "p4", "p5"]
    assert store.all_docs(people)[0]["name"] == "ann"


def test_given_docs_when_listing_a_range_with_a_limit_then_bounds_are_inclusive(
    store: DocumentStore, people: str
) -> None:
    assert ids(store.all_docs(people, start_key="p2", end_key="p4")) == ["p2", "p3", "p4"]
    assert ids(store.all_docs(people, start_key="p2", limit=2)) == ["p2", "p3"]
    assert ids(store.all_docs(people, end_key="p1")) == ["p1"]
    assert store.all_docs(people, limit=0) == []


def test_given_a_design_doc_inside_the_range_when_limited_then_the_limit_counts_real_docs(
    store: DocumentStore, db: str
) -> None:
    for doc_id in ("A", "B", "_design/x", "a", "b"):
        store.save(db, {"_id": doc_id})

    assert ids(store.all_docs(db, start_key="B", limit=2)) == ["B", "a"]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ({"name": "bob"}, ["p2"]),
        ({"name": {"$eq": "bob"}}, ["p2"]),
        ({"pvt_type": "user", "name": {"$ne": "bob"}}, ["p1", "p3", "p5"]),
        ({"age": {"$gt": 31}}, ["p3"]),
        ({"age": {"$gte": 31}}, ["p1", "p3"]),
        ({"age": {"$lt": 31}}, ["p2", "p5"]),
        ({"age": {"$lte": 31, "$gt": 25}}, ["p1"]),
        ({"name": {"$in": ["ann", "cid", "zzz"]}}, ["p1", "p3"]),
        ({"pvt_type": "user", "name": {"$nin": ["ann", "cid"]}}, ["p2", "p5"]),
        ({"tags": {"$in": ["c", "a"]}}, ["p1", "p5"]),
        ({"enabled": {"$exists": True}}, ["p4"]),
        ({"pvt_type": "user", "address": {"$exists": False}}, ["p5"]),
        ({"devices": {"$elemMatch": {"kind": "cell"}}}, ["p2"]),
        ({"tags": {"$elemMatch": {"$eq": "b"}}}, ["p1", "p2"]),
        ({"$and": [{"pvt_type": "user"}, {"address.city": "paris"}]}, ["p1", "p3"]),
        ({"$or": [{"name": "dan"}, {"age": 25}]}, ["p2", "p4"]),
        ({"age": {"$not": {"$gt": 30}}}, ["p2", "p5"]),
        # negations are pushed down to field conditions (CouchDB's norm_negations), and a
        # field condition never matches a document without the field
        ({"pvt_type": "user", "$not": {"address.city": "paris"}}, ["p2"]),
        ({"pvt_type": "user", "$nor": [{"address.city": "paris"}]}, ["p2"]),
        ({"$nor": [{"name": "ann"}, {"pvt_type": "device"}]}, ["p2", "p3", "p5"]),
        ({"$not": {"$or": [{"name": "ann"}, {"age": {"$gt": 30}}]}}, ["p2", "p5"]),
        ({"$not": {"$and": [{"pvt_type": "user"}, {"age": {"$lt": 30}}]}}, ["p1", "p3", "p4"]),
        ({"$not": {"$not": {"address.city": "lyon"}}}, ["p2"]),
        ({"$not": {"address": {"city": "paris"}}}, ["p2"]),
        ({"pvt_type": "user", "$not": {"address": {"$exists": True}}}, ["p5"]),
        ({"$not": {"devices": {"$elemMatch": {"kind": "sip"}}}}, ["p2", "p3"]),
        ({"age": {"$ne": 25}}, ["p1", "p3", "p5"]),
        ({"tags": {"$nin": ["b"]}}, ["p3", "p5"]),
        ({"address": {"city": "lyon"}}, ["p2"]),
        ({"devices.0.n": 1}, ["p1"]),
        ({"age": None}, ["p5"]),
        ({"enabled": False}, ["p4"]),
    ],
)
def test_given_docs_when_finding_with_an_operator_then_exactly_the_matches_return(
    store: DocumentStore, people: str, selector: dict[str, Any], expected: list[str]
) -> None:
    assert ids(store.find(people, selector)) == expected


def test_given_docs_when_finding_sorted_then_ordered_by_the_field_and_paged(
    store: DocumentStore, people: str
) -> None:
    by_name = store.find(people, {"pvt_type": "user"}, sort=["name"])
    assert ids(by_name) == ["p1", "p2", "p3", "p5"]

    by_age = store.find(people, {"age": {"$gt": 0}}, sort=["age"])
    assert ids(by_age) == ["p2", "p1", "p3"]

    page = store.find(people, {"pvt_type": "user"}, sort=["name"], skip=1, limit=2)
    assert ids(page) == ["p2", "p3"]


def test_given_docs_when_finding_with_limit_then_the_first_by_id_return(
    store: DocumentStore, people: str
) -> None:
    assert ids(store.find(people, {"pvt_type": "user"}, limit=2)) == ["p1", "p2"]


def test_given_a_dot_in_a_field_name_when_escaped_then_it_matches_the_literal_key(
    store: DocumentStore, db: str
) -> None:
    store.save(db, {"_id": "d1", "a.b": 1, "a": {"b": 2}})

    assert ids(store.find(db, {"a\\.b": 1})) == ["d1"]
    assert ids(store.find(db, {"a.b": 2})) == ["d1"]
    assert store.find(db, {"a.b": 1}) == []


@pytest.mark.parametrize(
    "selector",
    [{"age": {"$regexp": "x"}}, {"$and": {"a": 1}}, {"age": {"$in": 3}}, {"$bogus": []}],
)
def test_given_a_bad_selector_when_finding_then_invalid_request(
    store: DocumentStore, people: str, selector: dict[str, Any]
) -> None:
    with pytest.raises(InvalidRequest):
        store.find(people, selector)
