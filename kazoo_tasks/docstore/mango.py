"""Mango selectors evaluated in Python, with CouchDB's semantics.

The embedded store filters with :func:`compile_selector`; the CouchDB back end checks
selectors with it before sending them (so both reject the same bad input the same way).

Semantics copied from CouchDB's ``mango_selector``:

* values compare by CouchDB collation: ``null < false < true < numbers < strings <
  arrays < objects`` (strings by code point, as PouchDB does);
* a condition on a missing field is false, except ``{"$exists": false}``;
* ``$in``/``$nin`` on an array field look at its elements;
* ``{"a": {"b": 1}}`` means ``a.b == 1``; ``a.0.b`` indexes arrays; ``\\.`` escapes a dot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from kazoo_tasks.docstore.base import InvalidRequest

Matcher = Callable[[Any], bool]
"""A compiled selector: True when the document (or value) matches."""

_MISSING = object()

COMBINATION_OPERATORS = frozenset({"$and", "$or", "$not"})
CONDITION_OPERATORS = frozenset(
    {"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$elemMatch", "$not"}
)


class InvalidSelector(InvalidRequest):
    """The selector is malformed or uses an unsupported operator."""


# -- collation -------------------------------------------------------------------------


def collation_key(value: Any) -> tuple[Any, ...]:
    """A sort key ordering JSON values as CouchDB collates them."""
    if value is None:
        return (0,)
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, int | float):
        return (2, value)
    if isinstance(value, str):
        return (3, value)
    if isinstance(value, list | tuple):
        return (4, tuple(collation_key(item) for item in value))
    if isinstance(value, Mapping):
        return (5, tuple((key, collation_key(item)) for key, item in value.items()))
    raise InvalidSelector(f"not a JSON value: {value!r}")


def _compare(left: Any, right: Any) -> int:
    a, b = collation_key(left), collation_key(right)
    return (a > b) - (a < b)


# -- field paths -----------------------------------------------------------------------


def split_path(path: str) -> list[str]:
    """Split a dotted field path; ``\\.`` stands for a literal dot."""
    parts: list[str] = []
    current: list[str] = []
    chars = iter(path)
    for char in chars:
        if char == "\\":
            current.append(next(chars, "\\"))
        elif char == ".":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    if any(part == "" for part in parts):
        raise InvalidSelector(f"empty segment in field path {path!r}")
    return parts


def get_field(doc: Any, parts: Sequence[str]) -> Any:
    """The value at a split path, or the module's missing marker."""
    value = doc
    for part in parts:
        if isinstance(value, Mapping):
            if part not in value:
                return _MISSING
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def has_field(doc: Any, path: str) -> bool:
    """Whether a dotted path exists in a document."""
    return get_field(doc, split_path(path)) is not _MISSING


# -- compilation -----------------------------------------------------------------------


def compile_selector(selector: Mapping[str, Any]) -> Matcher:
    """Compile a Mango selector into a function of a document; raises InvalidSelector."""
    if not isinstance(selector, Mapping):
        raise InvalidSelector(f"a selector must be a JSON object, not {selector!r}")
    return _all_of([_compile_entry(key, value, []) for key, value in selector.items()])


def _all_of(matchers: list[Matcher]) -> Matcher:
    if len(matchers) == 1:
        return matchers[0]
    return lambda doc: all(matcher(doc) for matcher in matchers)


def _compile_entry(key: str, value: Any, prefix: list[str]) -> Matcher:
    """One key of a selector object: a combination operator or a field condition."""
    if key in COMBINATION_OPERATORS and not prefix:
        return _compile_combination(key, value)
    if key.startswith("$"):
        raise InvalidSelector(f"unknown or misplaced operator {key!r}")
    return _compile_field(prefix + split_path(key), value)


def _compile_combination(operator: str, value: Any) -> Matcher:
    if operator == "$not":
        inner = compile_selector(value)
        return lambda doc: not inner(doc)
    if not isinstance(value, list) or not value:
        raise InvalidSelector(f"{operator} needs a non-empty array of selectors")
    parts = [compile_selector(item) for item in value]
    if operator == "$and":
        return lambda doc: all(part(doc) for part in parts)
    return lambda doc: any(part(doc) for part in parts)


def _compile_field(path: list[str], condition: Any) -> Matcher:
    """A condition on the field at ``path``: a value, operators, or nested fields."""
    if isinstance(condition, Mapping) and condition:
        operators = [key for key in condition if key.startswith("$")]
        if not operators:
            return _all_of([_compile_field(path + split_path(k), v) for k, v in condition.items()])
        if len(operators) != len(condition):
            raise InvalidSelector(f"cannot mix operators and fields in {dict(condition)!r}")
        test = _compile_conditions(condition)
    else:
        test = _compile_conditions({"$eq": condition})
    accepts_missing = _accepts_missing(condition)

    def match(doc: Any) -> bool:
        value = get_field(doc, path)
        if value is _MISSING:
            return accepts_missing
        return test(value)

    return match


def _accepts_missing(condition: Any) -> bool:
    return isinstance(condition, Mapping) and dict(condition) == {"$exists": False}


def _compile_conditions(conditions: Mapping[str, Any]) -> Callable[[Any], bool]:
    """Operators applied to a field value that exists; all must hold."""
    tests = [_compile_operator(op, arg) for op, arg in conditions.items()]
    if len(tests) == 1:
        return tests[0]
    return lambda value: all(test(value) for test in tests)


def _compile_operator(operator: str, arg: Any) -> Callable[[Any], bool]:
    if operator not in CONDITION_OPERATORS:
        raise InvalidSelector(f"unknown operator {operator!r}")
    if operator in _COMPARISONS:
        collation_key(arg)  # reject non-JSON arguments now
        wanted = _COMPARISONS[operator]
        return lambda value: wanted(_compare(value, arg))
    if operator in ("$in", "$nin"):
        if not isinstance(arg, list):
            raise InvalidSelector(f"{operator} needs an array, not {arg!r}")
        keys = [collation_key(item) for item in arg]
        if operator == "$in":
            return lambda value: _any_equal(value, keys)
        return lambda value: not _any_equal(value, keys)
    if operator == "$exists":
        if not isinstance(arg, bool):
            raise InvalidSelector(f"$exists needs true or false, not {arg!r}")
        return lambda value: arg
    if operator == "$elemMatch":
        inner = _compile_element_selector(arg)
        return lambda value: isinstance(value, list) and any(inner(item) for item in value)
    # $not at field level
    if not isinstance(arg, Mapping):
        raise InvalidSelector(f"$not needs an object, not {arg!r}")
    inner_test = _compile_field([], arg)
    return lambda value: not inner_test(value)


def _compile_element_selector(arg: Any) -> Matcher:
    """``$elemMatch``'s argument: operators on the element itself, or fields of it."""
    if not isinstance(arg, Mapping) or not arg:
        raise InvalidSelector(f"$elemMatch needs a non-empty object, not {arg!r}")
    if all(key in CONDITION_OPERATORS for key in arg):
        return _compile_field([], arg)
    return compile_selector(arg)


def _any_equal(value: Any, keys: Iterable[tuple[Any, ...]]) -> bool:
    keys = list(keys)
    candidates = value if isinstance(value, list) else [value]
    return any(collation_key(candidate) in keys for candidate in candidates)


_COMPARISONS: dict[str, Callable[[int], bool]] = {
    "$eq": lambda c: c == 0,
    "$ne": lambda c: c != 0,
    "$gt": lambda c: c > 0,
    "$gte": lambda c: c >= 0,
    "$lt": lambda c: c < 0,
    "$lte": lambda c: c <= 0,
}


# -- rewriting -----------------------------------------------------------------------


def hoist_field_not(selector: Mapping[str, Any]) -> dict[str, Any]:
    """Rewrite field-level ``$not`` into the combination form some servers require.

    ``{"f": {"$not": C}}`` becomes ``{"$and": [{"f": {"$exists": true}}, {"$not": {"f": C}}]}``,
    which means the same under CouchDB's rule that a condition on a missing field is false.
    (pouchdb-server rejects field-level ``$not``.)
    """
    clauses: list[dict[str, Any]] = []
    for key, value in selector.items():
        if key in ("$and", "$or") and isinstance(value, list):
            rewritten = [hoist_field_not(v) if isinstance(v, Mapping) else v for v in value]
            clauses.append({key: rewritten})
        elif key == "$not" and isinstance(value, Mapping):
            clauses.append({"$not": hoist_field_not(value)})
        elif isinstance(value, Mapping) and "$not" in value and not key.startswith("$"):
            rest = {k: v for k, v in value.items() if k != "$not"}
            clauses.append({key: {"$exists": True, **rest}})
            clauses.append({"$not": {key: value["$not"]}})
        else:
            clauses.append({key: value})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


# -- sorting ---------------------------------------------------------------------------


def sort_documents(docs: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> list[Any]:
    """Documents having every sort field, ordered by those fields then by ``_id``.

    CouchDB sorts through an index on the fields, and an index leaves out documents
    missing any of them; this does the same.
    """
    paths = [split_path(field) for field in fields]
    keyed = []
    for doc in docs:
        values = [get_field(doc, path) for path in paths]
        if any(value is _MISSING for value in values):
            continue
        keyed.append(([collation_key(v) for v in values], doc.get("_id", ""), doc))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [doc for _, _, doc in keyed]
