"""The Mango matcher on its own: collation, paths and the cases the conformance suite
cannot reach through a store."""

from __future__ import annotations

import pytest

from kazoo_tasks.docstore.mango import (
    InvalidSelector,
    collation_key,
    compile_selector,
    push_negations,
    sort_documents,
    split_path,
)


def test_given_mixed_json_values_when_collated_then_couchdb_type_order_holds() -> None:
    values = [{"a": 1}, [1], "b", "a", 2, 1.5, True, False, None]

    assert sorted(values, key=collation_key) == [None, False, True, 1.5, 2, "a", "b", [1], {"a": 1}]


def test_given_escaped_dots_when_splitting_a_path_then_they_stay_in_the_segment() -> None:
    assert split_path("a\\.b.c") == ["a.b", "c"]
    with pytest.raises(InvalidSelector):
        split_path("a..b")


def test_given_a_numeric_condition_when_the_field_is_a_string_then_collation_decides() -> None:
    # CouchDB: strings sort after numbers, so "10" > 5 holds
    assert compile_selector({"n": {"$gt": 5}})({"n": "10"})
    assert not compile_selector({"n": {"$lt": 5}})({"n": "1"})


def test_given_a_missing_field_when_negated_then_no_match_as_in_couchdb() -> None:
    assert not compile_selector({"a": {"$ne": 1}})({})
    assert not compile_selector({"$not": {"a": 1}})({})
    assert not compile_selector({"$nor": [{"a": 1}]})({})
    assert compile_selector({"$not": {"a": {"$exists": True}}})({})
    assert compile_selector({"$not": {"a": 1}})({"a": 2})


@pytest.mark.parametrize(
    ("selector", "pushed"),
    [
        ({"$not": {"a": 1}}, {"a": {"$ne": 1}}),
        (
            {"$not": {"a": {"$gt": 1, "$in": [5]}}},
            {"$or": [{"a": {"$lte": 1}}, {"a": {"$nin": [5]}}]},
        ),
        (
            {"$nor": [{"a": 1}, {"b.c": {"$lt": 2}}]},
            {"$and": [{"a": {"$ne": 1}}, {"b.c": {"$gte": 2}}]},
        ),
        ({"$not": {"$nor": [{"a": 1}]}}, {"a": {"$eq": 1}}),
        ({"a": {"$not": {"$exists": False}}}, {"a": {"$exists": True}}),
        ({"$not": {"a": {"b": 1}}}, {"a.b": {"$ne": 1}}),
        (
            {"$not": {"a": {"$elemMatch": {"b": 1}}}},
            {"a": {"$not": {"$elemMatch": {"b": {"$eq": 1}}}}},
        ),
        ({"a": {"$elemMatch": {"$not": {"b": 1}}}}, {"a": {"$elemMatch": {"b": {"$ne": 1}}}}),
    ],
)
def test_given_negations_when_pushed_down_then_couchdb_normal_form(
    selector: dict, pushed: dict
) -> None:
    assert push_negations(selector) == pushed


def test_given_docs_missing_a_sort_field_when_sorted_then_they_are_left_out() -> None:
    docs = [{"_id": "b", "n": 1}, {"_id": "a"}, {"_id": "c", "n": 1}, {"_id": "d", "n": 0}]

    assert [d["_id"] for d in sort_documents(docs, ["n"])] == ["d", "b", "c"]


def test_given_operators_mixed_with_fields_when_compiled_then_invalid_selector() -> None:
    with pytest.raises(InvalidSelector):
        compile_selector({"a": {"$gt": 1, "b": 2}})
