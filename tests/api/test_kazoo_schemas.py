"""Every resource against Kazoo's own JSON schema for it: documents built from Kazoo's
schema (tests/api/kazoo_documents.py: every property, every alternative form) are saved
through the API, and so are their loose-typed variants (booleans and numbers as
strings), which must be stored as the strict ones are. What differs from Kazoo is
exactly what docs/api.md lists under "Differences from Kazoo's schemas" (the counts are
printed: pytest -s)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from marshmallow import Schema, fields

from schemas import DOCUMENT_SCHEMAS
from tests.api.kazoo_documents import alternative_forms, documents, loosened
from tests.crossbar import LoggedIn

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
RESOURCES = (
    "accounts",
    "users",
    "devices",
    "callflows",
    "vmboxes",
    "media",
    "menus",
    "temporal_rules",
    "temporal_rules_sets",
    "groups",
    "conferences",
    "queues",
    "webhooks",
    "directories",
    "resources",
    "lists",
    "functions",
)
"""The resources with a Kazoo schema that clients write (CDRs and recordings are read)."""
OVERRIDES: dict[str, dict[str, Any]] = {
    "callflows": {"flow": {"module": "hangup", "data": {}, "children": {}}},
}
"""Values that must name something real: a callflow's module must be one we have."""
SERVER_SET = {"id", "superduper_admin"}


def documented_differences() -> set[str]:
    """The ``resource: path`` entries of docs/api.md's list of differences."""
    text = DOCS.read_text()
    section = text.split("### Differences from Kazoo's schemas", 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^\* `([a-z_]+: [^`]+)`", section, re.MULTILINE))


def _paths(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_paths(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value:
        out = {}
        for n, item in enumerate(value):
            out.update(_paths(item, f"{prefix}.{n}"))
        return out
    return {prefix: value}


def free_form_prefix(schema: Schema, path: str) -> str:
    """The part of ``path`` our schema types: up to the free-form object (or the list)
    that holds the rest, whose values are stored as sent."""
    done: list[str] = []
    current: Any = schema
    for part in path.split("."):
        done.append(part)
        if not isinstance(current, Schema) or part not in current.fields:
            break
        found = current.fields[part]
        if isinstance(found, fields.Nested):
            current = found.schema
            continue
        break
    return ".".join(done)


def _as_kazoo(strict: Any, loose: Any) -> bool:
    """Whether a loose value was stored as its strict original."""
    return strict == loose and type(strict) is type(loose)


def _under(path: str, places: set[str]) -> bool:
    """Whether ``path`` is at or below one of ``places`` (where Kazoo converts nothing)."""
    return any(path == place or path.startswith(f"{place}.") for place in places)


def _save(root: LoggedIn, resource: str, doc: dict[str, Any]) -> Any:
    if resource == "accounts":
        return root.client.put(f"/accounts/{root.id}", doc)
    return root.client.put(f"/accounts/{root.id}/{resource}", doc)


def _delete(root: LoggedIn, resource: str, doc_id: str) -> None:
    path = (
        f"/accounts/{doc_id}"
        if resource == "accounts"
        else f"/accounts/{root.id}/{resource}/{doc_id}"
    )
    assert root.client.delete(path).status_code == 200


def _stored(answer: Any) -> dict[str, Any]:
    return {k: v for k, v in _paths(answer.json()["data"]).items() if k not in SERVER_SET}


def test_given_kazoos_schemas_when_their_documents_are_saved_then_accepted_but_the_listed(
    root: LoggedIn,
) -> None:
    found: set[str] = set()
    tried = accepted = loose_tried = loose_accepted = 0
    for resource in RESOURCES:
        forms = alternative_forms(resource)
        for label, doc in documents(resource, OVERRIDES.get(resource, {})):
            tried += 1
            answer = _save(root, resource, doc)
            if answer.status_code != 201:
                assert answer.status_code == 400, (resource, label, answer.text)
                for path in answer.json()["data"]:
                    found.add(f"{resource}: {path} refused")
                continue
            accepted += 1
            strict = _stored(answer)
            _delete(root, resource, answer.json()["data"]["id"])
            if label.split("=")[0] not in forms | {"base", "longest"}:
                continue  # another enum value: its loose variant adds nothing
            loose_tried += 1
            loose = _save(root, resource, loosened(doc))
            if loose.status_code != 201:
                for path in loose.json()["data"]:
                    found.add(f"{resource}: {path} loose refused")
                continue
            loose_accepted += 1
            for path, value in _stored(loose).items():
                if _as_kazoo(strict.get(path), value) or _under(path, forms):
                    continue
                prefix = free_form_prefix(DOCUMENT_SCHEMAS[resource](), path)
                found.add(f"{resource}: {prefix} kept as sent")
            _delete(root, resource, loose.json()["data"]["id"])
    print(
        f"\nKazoo schema documents: {accepted} of {tried} accepted; loose-typed variants: "
        f"{loose_accepted} of {loose_tried} accepted; differences: {len(found)}"
    )
    for entry in sorted(found):
        print(f"  {entry}")
    assert found == documented_differences()
