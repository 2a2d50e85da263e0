"""The dashboard panels of ``bench --metrics-plot`` compute what Prometheus would from
real prometheus_client expositions: counter rates over a window, and
``histogram_quantile`` over bucket deltas."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from kazoo_tasks.bench.dashboard import Scrape, busiest, gauge, quantile, rate
from kazoo_tasks.metrics import LATENCY_BUCKETS
from kazoo_tasks.testing.scrape import Samples


def _samples(registry: CollectorRegistry) -> Samples:
    text = generate_latest(registry).decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


def test_given_a_counter_scraped_each_second_when_rated_then_per_second_over_the_window(registry):
    ended = Counter("kazoo_calls_ended", "calls", ["cause"], registry=registry)
    scrapes = []
    for second, added in enumerate([0, 10, 20, 30, 0]):
        ended.labels("NORMAL_CLEARING").inc(added)
        scrapes.append(Scrape(100.0 + second, _samples(registry)))

    xs, ys = rate(scrapes, "kazoo_calls_ended_total", window=2.0)

    assert xs == [1.0, 2.0, 3.0, 4.0]
    assert ys == [10.0, 15.0, 25.0, 15.0]  # (10-0)/1, (30-0)/2, (60-10)/2, (60-30)/2


def test_given_setups_in_one_window_when_quantiles_asked_then_they_interpolate_as_prometheus(
    registry,
):
    setup = Histogram(
        "kazoo_call_setup_seconds", "setup", ["node"], buckets=LATENCY_BUCKETS, registry=registry
    )
    first = Scrape(0.0, _samples(registry))
    for _ in range(90):
        setup.labels("fs1").observe(0.003)  # bucket (0.0025, 0.005]
    for _ in range(10):
        setup.labels("fs2").observe(0.2)  # bucket (0.1, 0.25]
    last = Scrape(1.0, _samples(registry))

    _, p50 = quantile([first, last], "kazoo_call_setup_seconds", 0.5)
    _, p99 = quantile([first, last], "kazoo_call_setup_seconds", 0.99)
    _, fs2 = quantile([first, last], "kazoo_call_setup_seconds", 0.5, node="fs2")

    assert p50 == [pytest.approx(2.5 + 2.5 * 50 / 90)]  # ms, linear in its bucket
    assert p99 == [pytest.approx(100 + 150 * 9 / 10)]
    assert fs2 == [pytest.approx(175.0)]


def test_given_no_observation_in_a_window_then_the_quantile_leaves_it_out(registry):
    Histogram("kazoo_call_setup_seconds", "setup", ["node"], registry=registry).labels("fs1")
    scrapes = [Scrape(t, _samples(registry)) for t in (0.0, 1.0, 2.0)]

    assert quantile(scrapes, "kazoo_call_setup_seconds", 0.5) == ([], [])


def test_given_tasks_when_the_busiest_asked_then_those_that_ran_during_the_recording(registry):
    latency = Histogram("kazoo_task_duration_seconds", "tasks", ["task"], registry=registry)
    latency.labels("celery.ping").observe(0.001)  # before the recording only
    first = Scrape(0.0, _samples(registry))
    for task, runs in (("kazoo.call.handle_events", 5), ("kazoo.housekeeping.write_cdr", 2)):
        for _ in range(runs):
            latency.labels(task).observe(0.01)
    last = Scrape(1.0, _samples(registry))

    top = busiest([first, last], "kazoo_task_duration_seconds_count", "task", 4)

    assert top == ["kazoo.call.handle_events", "kazoo.housekeeping.write_cdr"]
    assert gauge([first, last], "kazoo_task_duration_seconds_count") == ([0.0, 1.0], [1.0, 8.0])
