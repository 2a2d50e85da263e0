"""The cache on its own: TTL, callbacks, origins, stampede protection."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from typing import Any

import pytest

from kazoo_tasks.cache import CHANGED, ERASED, EXPIRED, FLUSHED, Cache, origins
from kazoo_tasks.doc_changes import DOC_DELETED, DOC_EDITED, DocChange

DB = "account/ab/cd/ef0123456789abcdef0123456789"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def edited(doc_id: str, pvt_type: str | None = "callflow", db: str = DB) -> DocChange:
    return DocChange(DOC_EDITED, db, doc_id, "2-x", pvt_type=pvt_type)


def recorder() -> tuple[list[tuple[Hashable, Any, str]], Any]:
    calls: list[tuple[Hashable, Any, str]] = []
    return calls, lambda key, value, reason: calls.append((key, value, reason))


def test_given_an_entry_with_a_ttl_when_time_passes_then_it_expires_and_the_callback_runs() -> None:
    clock = Clock()
    cache = Cache(clock=clock)
    calls, callback = recorder()
    cache.store("k", "v", ttl=10, on_erase=callback)

    clock.now += 9.9
    assert cache.get("k") == "v"
    clock.now += 0.2

    assert cache.get("k") is None
    assert calls == [("k", "v", EXPIRED)]


def test_given_entries_with_different_ttls_when_swept_then_only_the_due_ones_go() -> None:
    clock = Clock()
    cache = Cache(default_ttl=100, clock=clock)
    cache.store("short", 1, ttl=1)
    cache.store("default", 2)
    cache.store("forever", 3, ttl=None)

    clock.now += 50

    assert cache.sweep() == 1
    assert ("short" in cache, "default" in cache, "forever" in cache) == (False, True, True)


def test_given_a_restored_key_when_its_old_deadline_passes_then_the_new_ttl_holds() -> None:
    clock = Clock()
    cache = Cache(clock=clock)
    cache.store("k", 1, ttl=1)
    cache.store("k", 2, ttl=100)

    clock.now += 5

    assert cache.get("k") == 2


def test_given_entries_when_erased_or_flushed_then_callbacks_say_why() -> None:
    cache = Cache()
    calls, callback = recorder()
    cache.store("a", 1, on_erase=callback)
    cache.store("b", 2, on_erase=callback)

    assert cache.erase("a") is True
    assert cache.erase("a") is False
    assert cache.flush() == 1

    assert calls == [("a", 1, ERASED), ("b", 2, FLUSHED)]


def test_given_origin_bindings_when_a_doc_changes_then_exactly_the_entries_built_from_it_go() -> (
    None
):
    cache = Cache()
    calls, callback = recorder()
    cache.store("by-doc", 1, origins=[origins.doc(DB, "cf1")], on_erase=callback)
    cache.store("by-type", 2, origins=[origins.doc_type(DB, "callflow")])
    cache.store("other-type", 3, origins=[origins.doc_type(DB, "user")])
    cache.store("other-doc", 4, origins=[origins.doc(DB, "cf2")])
    cache.store("whole-db", 5, origins=[origins.db(DB)])
    cache.store("other-db", 6, origins=[origins.db("accounts")])
    cache.store("no-origin", 7)

    assert cache.handle_change(edited("cf1")) == 3

    left = {key for key in ("by-doc", "by-type", "other-type", "other-doc", "whole-db",
                            "other-db", "no-origin") if key in cache}  # fmt: skip
    assert left == {"other-type", "other-doc", "other-db", "no-origin"}
    assert calls == [("by-doc", 1, CHANGED)]


def test_given_a_deletion_of_unknown_type_when_handled_then_every_type_binding_of_the_db_goes() -> (
    None
):
    cache = Cache()
    cache.store("callflows", 1, origins=[origins.doc_type(DB, "callflow")])
    cache.store("users", 2, origins=[origins.doc_type(DB, "user")])

    cache.handle_change(DocChange(DOC_DELETED, DB, "x", "3-y", pvt_type=None))

    assert len(cache) == 0


def test_given_many_threads_asking_for_one_key_when_built_then_the_builder_runs_once() -> None:
    cache = Cache()
    builds = 0
    release = threading.Event()
    results: list[str] = []

    def builder() -> str:
        nonlocal builds
        builds += 1
        release.wait(5)
        return "built"

    def lookup() -> None:
        results.append(cache.get_or_build("k", builder))

    threads = [threading.Thread(target=lookup) for _ in range(16)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)  # let all of them reach the cache before the build finishes
    release.set()
    for thread in threads:
        thread.join(5)

    assert builds == 1
    assert results == ["built"] * 16
    assert cache.get("k") == "built"


def test_given_a_failing_builder_when_callers_wait_then_all_get_the_error_and_nothing_is_kept() -> (
    None
):
    cache = Cache()
    release = threading.Event()
    errors: list[BaseException] = []

    def builder() -> str:
        release.wait(5)
        raise LookupError("no such callflow")

    def lookup() -> None:
        try:
            cache.get_or_build("k", builder)
        except LookupError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=lookup) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    release.set()
    for thread in threads:
        thread.join(5)

    assert len(errors) == 4
    assert "k" not in cache
    assert cache.get_or_build("k", lambda: "second try") == "second try"


def test_given_a_change_during_a_build_when_it_finishes_then_the_result_is_not_kept() -> None:
    cache = Cache()
    building = threading.Event()
    release = threading.Event()
    result: list[str] = []

    def builder() -> str:
        building.set()
        release.wait(5)
        return "maybe stale"

    thread = threading.Thread(
        target=lambda: result.append(
            cache.get_or_build("k", builder, origins=[origins.doc(DB, "cf1")])
        )
    )
    thread.start()
    building.wait(5)
    cache.handle_change(edited("cf1"))
    release.set()
    thread.join(5)

    assert result == ["maybe stale"]
    assert "k" not in cache


@pytest.mark.parametrize("bad", [{"name": "doc_moved", "db": "a", "doc_id": "b", "rev": "1"}, {}])
def test_given_a_malformed_notification_body_when_parsed_then_value_error(
    bad: dict[str, str],
) -> None:
    with pytest.raises(ValueError):
        DocChange.from_body(bad)
