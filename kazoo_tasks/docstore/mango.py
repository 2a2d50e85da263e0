"""Mango selectors evaluated in Python, with CouchDB's semantics.

The embedded store filters with :func:`compile_selector`; the CouchDB back end checks
selectors with it before sending them (so both reject the same bad input the same way).

Semantics copied from CouchDB's ``mango_selector``:

* values compare by CouchDB collation: ``null < false < true < numbers < strings <
  arrays < objects`` (strings by code point, as PouchDB does);
* a condition on a missing field is false, except ``{"$exists": false}``;
* ``$not`` and ``$nor`` are first pushed down to the field conditions (De Morgan,
  ``$eq`` ↔ ``$ne``, ``$gt`` ↔ ``$lte``, ``$in`` ↔ ``$nin``, ``$exists`` flipped), as
  CouchDB's ``norm_negations`` does, so the rule above holds under a negation too:
  ``{"$not": {"address.city": "paris"}}`` does not match a document without ``address``;
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

COMBINATION_OPERATORS = frozenset({"$and", "$or", "$not", "$nor"})
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
    return _compile_object(push_negations(selector))


def _compile_object(selector: Any) -> Matcher:
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
    """``$and``/``$or`` (``$not``/``$nor`` reach here only malformed: they were pushed down)."""
    if operator == "$not":
        inner = _compile_object(value)
        return lambda doc: not inner(doc)
    if not isinstance(value, list) or not value:
        raise InvalidSelector(f"{operator} needs a non-empty array of selectors")
    parts = [_compile_object(item) for item in value]
    if operator == "$and":
        return lambda doc: all(part(doc) for part in parts)
    if operator == "$or":
        return lambda doc: any(part(doc) for part in parts)
    return lambda doc: not any(part(doc) for part in parts)


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
    return _compile_object(arg)


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


# -- negations -------------------------------------------------------------------------

_NEGATED = {
    "$eq": "$ne", "$ne": "$eq", "$lt": "$gte", "$gte": "$lt", "$gt": "$lte", "$lte": "$gt",
    "$in": "$nin", "$nin": "$in",
}  # fmt: skip


def push_negations(selector: Mapping[str, Any]) -> Any:
    """The selector with ``$not`` and ``$nor`` pushed down to field conditions, as CouchDB
    normalizes selectors before matching them (``mango_selector:norm_negations``).

    ``{"$not": {"a": 1, "b": {"$gt": 2}}}`` becomes ``{"$or": [{"a": {"$ne": 1}}, {"b":
    {"$lte": 2}}]}``; ``$nor`` is an ``$and`` of negations; ``$exists`` flips; an operator
    with no opposite (``$elemMatch``) keeps a field-level ``$not``. Field conditions on
    a missing field stay false (except ``$exists: false``), so a negation never matches
    a document for lacking the field. Malformed parts are left for the compiler to reject.
    """
    return _pushed(selector, negate=False)


def _pushed(selector: Any, *, negate: bool) -> Any:
    if not isinstance(selector, Mapping) or not selector:
        return {"$not": selector} if negate else selector
    clauses = [_pushed_entry(key, value, negate) for key, value in selector.items()]
    return _joined(clauses, negate)


def _joined(clauses: list[Any], negate: bool) -> Any:
    """All of ``clauses`` (``$and``), or any of them when negated (De Morgan)."""
    if len(clauses) == 1:
        return clauses[0]
    return {"$or" if negate else "$and": clauses}


def _pushed_entry(key: str, value: Any, negate: bool) -> Any:
    is_list = isinstance(value, list) and bool(value)
    if key == "$not" and isinstance(value, Mapping):
        return _pushed(value, negate=not negate)
    if key == "$nor" and is_list:
        return _joined([_pushed(item, negate=not negate) for item in value], negate)
    if key in ("$and", "$or") and is_list:
        parts = [_pushed(item, negate=negate) for item in value]
        return {_FLIPPED[key] if negate else key: parts}
    if key.startswith("$"):
        return {"$not": {key: value}} if negate else {key: value}
    return _pushed_field(key, value, negate)


_FLIPPED = {"$and": "$or", "$or": "$and"}


def _pushed_field(path: str, condition: Any, negate: bool) -> Any:
    """A field condition (``path`` in dotted form) with its negations pushed down."""
    if not (isinstance(condition, Mapping) and condition):
        return _pushed_operator(path, "$eq", condition, negate)
    operators = [key for key in condition if key.startswith("$")]
    if not operators:  # nested fields: {"a": {"b": 1}} is {"a.b": 1}
        parts = [_pushed_field(f"{path}.{key}", value, negate) for key, value in condition.items()]
        return _joined(parts, negate)
    if len(operators) != len(condition):  # mixed: the compiler says why it is wrong
        return {"$not": {path: dict(condition)}} if negate else {path: dict(condition)}
    parts = [_pushed_operator(path, op, arg, negate) for op, arg in condition.items()]
    return _joined(parts, negate)


def _pushed_operator(path: str, operator: str, arg: Any, negate: bool) -> Any:
    if operator == "$not" and isinstance(arg, Mapping):
        return _pushed_field(path, arg, not negate)
    if operator == "$elemMatch" and isinstance(arg, Mapping) and arg:
        if not all(key in CONDITION_OPERATORS - {"$not"} for key in arg):  # not on scalars
            arg = _pushed(arg, negate=False)
    if not negate:
        return {path: {operator: arg}}
    if operator in _NEGATED:
        return {path: {_NEGATED[operator]: arg}}
    if operator == "$exists" and isinstance(arg, bool):
        return {path: {"$exists": not arg}}
    return {path: {"$not": {operator: arg}}}


# -- rewriting -----------------------------------------------------------------------


_POSITIVE = {"$ne": "$eq", "$nin": "$in"}


def spelled_out_negations(selector: Mapping[str, Any]) -> Any:
    """Rewrite the negated field conditions of a selector from :func:`push_negations`
    (``$ne``, ``$nin``, field-level ``$not``): ``f`` must exist, and one ``$not`` of the
    positive conditions (``$eq``, ``$in``, the inner condition) per ``$and``.

    The meaning is the same under CouchDB's rule that a condition on a missing field is
    false (CouchDB normalizes it back). pouchdb-server needs it: its ``$ne`` and ``$nin``
    match documents without the field, it rejects field-level ``$not``, fails on ``$ne``
    inside ``$or``, and merges an ``$and``'s clauses into one object, where two ``$not``
    would collide.
    """
    clauses = _spelled_conjunction(selector)
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _spelled_conjunction(selector: Mapping[str, Any]) -> list[Any]:
    """The clauses of one (flattened) ``$and``, its negations gathered into one ``$not``."""
    clauses: list[Any] = []
    negated: list[Any] = []
    for key, value in selector.items():
        if key == "$and" and isinstance(value, list) and all(isinstance(v, Mapping) for v in value):
            for item in value:
                for clause in _spelled_conjunction(item):
                    if isinstance(clause, Mapping) and set(clause) == {"$not"}:
                        negated.append(clause["$not"])
                    else:
                        clauses.append(clause)
        elif key == "$or" and isinstance(value, list):
            rewritten = [spelled_out_negations(v) if isinstance(v, Mapping) else v for v in value]
            clauses.append({key: rewritten})
        elif not key.startswith("$") and isinstance(value, Mapping) and len(value) == 1:
            ((operator, arg),) = value.items()
            if operator in _POSITIVE:
                negated.append({key: {_POSITIVE[operator]: arg}})
            elif operator == "$not":
                negated.append({key: arg})
            else:
                clauses.append({key: value})
                continue
            clauses.append({key: {"$exists": True}})
        else:
            clauses.append({key: value})
    if negated:
        clauses.append({"$not": negated[0] if len(negated) == 1 else {"$or": negated}})
    return clauses


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
